import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const eslintBin = join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');

/**
 * Lints `code` as if it were a file of the orchestration folder (or elsewhere), with the project's config.
 * ESLint runs in a child process: its config loader needs dynamic import, which jest's VM lacks.
 */
async function lint(code: string, file = 'src/core/orchestration/steps/example.ts'): Promise<string[]> {
  const run = spawnSync(
    process.execPath,
    [eslintBin, '--stdin', '--stdin-filename', file, '--format', 'json'],
    {
      cwd: root,
      input: code,
      encoding: 'utf8',
    },
  );
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint failed: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string; message: string }[] }[];
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the lint fence around orchestrators', () => {
  it.each([
    ['Date.now()', 'export const t = Date.now();', /never Date\.now\(\)/],
    ['new Date()', 'export const t = new Date();', /never new Date\(\)/],
    ['Math.random()', 'export const r = Math.random();', /newGuid/],
    ['fetch', "export const f = () => fetch('https://example.com');", /no I\/O/],
    ['setTimeout', 'export const s = () => setTimeout(() => undefined, 1);', /createTimer/],
    ['process.env', 'export const e = process.env.X;', /read no environment/],
    [
      'an Azure SDK',
      "import { ComputeManagementClient } from '@azure/arm-compute';\nexport const c = ComputeManagementClient;",
      /No SDKs/,
    ],
    ['node I/O', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;", /No I\/O/],
    [
      'an adapter',
      "import { fetchHealthProbe } from '../../../adapters/http/healthProbe';\nexport const p = fetchHealthProbe;",
      /only through activities/,
    ],
    ['await', 'export async function f() { await Promise.resolve(); }', /never await/],
  ])('refuses %s in an orchestration file', async (_what, code, message) => {
    const messages = await lint(code);
    expect(messages.some((m) => message.test(m))).toBe(true);
  });

  it('allows the deterministic equivalents', async () => {
    const code = [
      "import type { OrchestrationContext } from 'durable-functions';",
      'export function* f(ctx: OrchestrationContext) {',
      '  const now = ctx.df.currentUtcDateTime;',
      '  const later = new Date(now.getTime() + 1000);',
      "  const id = ctx.df.newGuid('x');",
      '  yield ctx.df.createTimer(later);',
      '  return id;',
      '}',
    ].join('\n');
    expect(await lint(code)).toEqual([]);
  });

  it('does not fence code outside the orchestration folder', async () => {
    expect(await lint('export const t = Date.now();\n', 'src/core/activities/example.ts')).toEqual([]);
  });
});
