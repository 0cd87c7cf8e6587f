/**
 * Writes the parameter rules of scripts/contract.json into the deploy scripts, between their
 * "parameter rules" markers (`npm run contract`; `--check` only reports stale copies). The scripts run
 * alone on the VMs, without the JSON file, so each carries its own generated copy.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parameterRules, type ScriptKind } from '../src/core/contract';

/** The script file of each kind, under scripts/. */
export const SCRIPT_FILES: Record<ScriptKind, string> = {
  linux: 'deploy-linux.sh',
  windows: 'deploy-windows.ps1',
};

const BEGIN =
  '# --- parameter rules: generated from scripts/contract.json by `npm run contract`; do not edit ---';
const END = '# --- end of generated parameter rules ---';

/** Single quotes, or double quotes for wording with apostrophes and nothing bash would expand. */
const bashQuote = (s: string): string =>
  !s.includes("'") ? `'${s}'` : /[$`"\\!]/.test(s) ? `'${s.replace(/'/g, `'\\''`)}'` : `"${s}"`;
const psQuote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** .NET's `$` also matches before a final newline: the PowerShell copy ends patterns with `\z` instead. */
function dotnetPattern(pattern: string): string {
  return pattern.endsWith('$') ? `${pattern.slice(0, -1)}\\z` : pattern;
}

/** The generated block of a script kind (markers included). */
export function renderRules(kind: ScriptKind): string {
  const rules = parameterRules(kind);
  if (kind === 'linux') {
    const lines = rules.map(
      (r) =>
        `check_param ${r.name} ${r.required ? 'required' : 'optional'} ${r.maxLength} ` +
        `${bashQuote(r.pattern ?? '')} ${bashQuote(r.rule)}`,
    );
    return [BEGIN, ...lines, END].join('\n');
  }
  const lines = rules.map(
    (r) =>
      `    @{ Name = ${psQuote(r.name)}; Required = $${r.required}; MaxLength = ${r.maxLength}; ` +
      `Pattern = ${psQuote(r.pattern === null ? '' : dotnetPattern(r.pattern))}; Rule = ${psQuote(r.rule)} }`,
  );
  return [BEGIN, '$PARAMETER_RULES = @(', ...lines, ')', END].join('\n');
}

/** The script text with its generated block replaced; throws when the markers are missing. */
export function withRules(text: string, kind: ScriptKind): string {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) {
    throw new Error(`${SCRIPT_FILES[kind]} has no generated parameter rules block (markers missing)`);
  }
  return text.slice(0, start) + renderRules(kind) + text.slice(end + END.length);
}

/** The generated block as the script file holds it now. */
export function currentRules(text: string): string | undefined {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  return start < 0 || end < start ? undefined : text.slice(start, end + END.length);
}

function main(argv: string[]): number {
  const root = path.resolve(__dirname, '..', '..');
  const check = argv.includes('--check');
  let stale = 0;
  for (const kind of Object.keys(SCRIPT_FILES) as ScriptKind[]) {
    const file = path.join(root, 'scripts', SCRIPT_FILES[kind]);
    const text = readFileSync(file, 'utf8');
    const next = withRules(text, kind);
    if (next === text) continue;
    stale += 1;
    if (check) console.error(`contract: scripts/${SCRIPT_FILES[kind]} is stale: run npm run contract`);
    else {
      writeFileSync(file, next);
      console.log(`contract: wrote the parameter rules into scripts/${SCRIPT_FILES[kind]}`);
    }
  }
  if (stale === 0) console.log('contract: both deploy scripts carry the rules of scripts/contract.json');
  return check && stale > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
