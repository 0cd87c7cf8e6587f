/**
 * scripts/contract.json is the one definition of the deploy scripts' contract: the scripts carry a
 * generated copy of its parameter rules, document its exit codes, and the hook reads it. These tests fail
 * when a copy drifts (run `npm run contract`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  EXIT_CODES,
  PARAMETER_RULES,
  buildFieldRule,
  exampleNames,
  examples,
  parameterRule,
  parameterRules,
  ruleProblem,
  type ScriptKind,
} from '../../src/core/contract';
import { SCRIPT_FILES, currentRules, renderRules, withRules } from '../../local/contract';

const REPO = path.resolve(__dirname, '../..');
const script = (kind: ScriptKind): string =>
  readFileSync(path.join(REPO, 'scripts', SCRIPT_FILES[kind]), 'utf8');
const KINDS: ScriptKind[] = ['linux', 'windows'];

/** `<code>  <meaning>` lines under "Exit codes" in a script's header. */
function documentedExitCodes(text: string): number[] {
  const header = text.slice(text.search(/Exit codes/), text.search(/Idempotent/));
  return [...header.matchAll(/^#?\s+(\d{1,3})\s{2,}\S/gm)].map((m) => Number(m[1]));
}

describe('scripts/contract.json', () => {
  it('defines the exit codes 0, 2, 10-13 and a rule, a maximum length and a wording for every parameter', () => {
    expect(EXIT_CODES.map((e) => e.code)).toEqual([0, 2, 10, 11, 12, 13]);
    for (const rule of PARAMETER_RULES) {
      expect(rule.maxLength).toBeGreaterThan(0);
      expect(rule.rule).not.toBe('');
      if (rule.pattern !== null) {
        // Anchored, and in the subset bash, .NET and JavaScript read alike (no escapes classes, no lookaround).
        expect(rule.pattern).toMatch(/^\^.*\$$/);
        expect(rule.pattern).not.toMatch(/\\[dswbDSWB]|\(\?|\[\[:/);
      }
    }
  });

  it.each(KINDS)('the %s script carries the generated rules of the contract', (kind) => {
    const text = script(kind);
    expect(currentRules(text)).toBe(renderRules(kind));
    expect(withRules(text, kind)).toBe(text);
  });

  it('both scripts take the same parameters, the Windows one adding only IIS_SITE and MSDEPLOY_PATH', () => {
    const names = (kind: ScriptKind) => parameterRules(kind).map((r) => r.name);
    expect(names('windows').filter((n) => !names('linux').includes(n))).toEqual([
      'IIS_SITE',
      'MSDEPLOY_PATH',
    ]);
    expect(names('linux').filter((n) => !names('windows').includes(n))).toEqual([]);
  });

  it.each(KINDS)('the %s script documents exactly the exit codes of the contract', (kind) => {
    expect(documentedExitCodes(script(kind))).toEqual(EXIT_CODES.map((e) => e.code));
  });

  it('the Linux script exits only with the contract codes', () => {
    const used = [...script('linux').matchAll(/\bfail (\d+)/g)].map((m) => Number(m[1]));
    expect(new Set(used)).toEqual(new Set([2, 10, 11, 12, 13]));
  });

  it('the Windows script exits only with the contract codes', () => {
    const used = [...script('windows').matchAll(/Stop-Deploy (\d+)/g)].map((m) => Number(m[1]));
    expect(new Set(used)).toEqual(new Set([2, 10, 11, 12, 13]));
  });

  it('the build number is checked at the hook with the rule of the scripts’ VERSION', () => {
    const version = parameterRule('VERSION');
    expect(buildFieldRule('number')).toEqual({
      maxLength: version.maxLength,
      pattern: version.pattern,
      rule: version.rule,
      sameAs: 'VERSION',
    });
  });

  describe.each(exampleNames())('the TypeScript reading of %s agrees with the table', (name) => {
    const rule = parameterRule(name);
    it.each(examples(name).good)('accepts %j', (value) => expect(ruleProblem(rule, value)).toBeUndefined());
    it.each(examples(name).bad)('refuses %j', (value) =>
      expect(ruleProblem(rule, value)).toEqual(expect.any(String)),
    );
  });

  it('never quotes the value in a problem (it may be huge or carry a SAS)', () => {
    const url = `https://x.blob.core.windows.net/c/a b?sig=${'s'.repeat(5000)}`;
    const problem = ruleProblem(parameterRule('ARTIFACT_URL'), url) as string;
    expect(problem).toBe(`is longer than 4096 characters (${url.length})`);
    expect(ruleProblem(parameterRule('ARTIFACT_URL'), 'https://x/a b?sig=secret')).not.toContain('secret');
  });
});
