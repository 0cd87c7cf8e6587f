/**
 * The CLI in-process against a scripted API: arguments, exit codes, errors that say what failed without
 * showing the key, `watch` redrawing on a terminal and printing changes in a log, and the text views.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_EXIT, main, parseArgs, type CliIo } from '../../src/cli/release';
import { renderChanges, renderList, renderRelease } from '../../src/cli/render';
import type { ReleaseView } from '../../src/core/domain';
import { aReleaseView } from '../builders/release';

const KEY = 'secret-function-key-123';
const NOW = new Date('2024-05-01T10:06:00.000Z');

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** A fetch answering from a script of responses, one per call (the last one repeats). */
function scripted(answers: Array<{ status: number; body: unknown } | Error>): {
  fetch: typeof fetch;
  seen: Seen[];
} {
  const seen: Seen[] = [];
  let i = 0;
  const fake = (async (url: string, init: RequestInit) => {
    seen.push({
      url,
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      ...(typeof init.body === 'string' ? { body: init.body } : {}),
    });
    const a = answers[Math.min(i++, answers.length - 1)]!;
    if (a instanceof Error) throw a;
    return new Response(typeof a.body === 'string' ? a.body : JSON.stringify(a.body), { status: a.status });
  }) as unknown as typeof fetch;
  return { fetch: fake, seen };
}

function io(
  fetchFn: typeof fetch,
  isTTY = false,
): CliIo & { stdout: string[]; stderr: string[]; slept: number[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const slept: number[] = [];
  return {
    stdout,
    stderr,
    slept,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    isTTY,
    now: () => NOW,
    sleep: async (ms) => {
      slept.push(ms);
    },
    fetch: fetchFn,
  };
}

const env = { RELEASE_API: 'https://release.example.com/', RELEASE_FUNCTION_KEY: KEY };
const at = (
  status: ReleaseView['status'],
  phase: ReleaseView['phase'],
  timeline: ReleaseView['timeline'] = [],
) => aReleaseView({ status, phase, timeline, updatedAt: NOW.toISOString() });

describe('release CLI', () => {
  it('parses commands and flags, refusing unknown ones', () => {
    expect(parseArgs(['ls', '--target', 'web', '--status=Running', '--json'])).toEqual({
      command: 'ls',
      args: [],
      flags: new Map<string, string | true>([
        ['target', 'web'],
        ['status', 'Running'],
        ['json', true],
      ]),
    });
    expect(() => parseArgs(['ls', '--colour'])).toThrow('unknown option --colour');
    expect(() => parseArgs(['ls', '--limit'])).toThrow('--limit needs a value');
  });

  it.each([
    [[], /no command given/],
    [['deploy'], /unknown command 'deploy'/],
    [['show'], /show needs exactly one release id, got 0/],
    [['show', 'not a release'], /'not a release' is not a release id/],
    [['ls', '--limit', '0'], /--limit must be an integer from 1 to 500/],
    [['rollback', 'web-prod-b1'], /rollback needs --reason/],
    [['watch', 'web-prod-b1', '--interval', 'soon'], /--interval must be an integer/],
    [['freeze', 'web-prod'], /freeze needs --reason/],
    [['freeze', 'Web Prod', '--reason', 'x'], /'Web Prod' is not a target name/],
    [['freeze'], /freeze needs exactly one target, got 0/],
    [['unfreeze', 'web-prod', '--reason', 'x'], /unfreeze takes no --reason or --until/],
  ])('exits 2 with the usage for %j', async (argv, message) => {
    const { fetch, seen } = scripted([{ status: 200, body: {} }]);
    const out = io(fetch);
    expect(await main(argv, env, out)).toBe(CLI_EXIT.usage);
    expect(out.stderr.join('\n')).toMatch(message);
    expect(out.stderr.join('\n')).toContain('Usage: release <command>');
    expect(seen).toEqual([]);
  });

  it('sends the key as a header only, and never prints it, even in errors', async () => {
    const { fetch, seen } = scripted([{ status: 401, body: '' }]);
    const out = io(fetch);
    expect(await main(['ls', '--target', 'web-prod'], env, out)).toBe(CLI_EXIT.api);
    expect(seen[0]!.url).toBe('https://release.example.com/api/releases?target=web-prod&limit=50');
    expect(seen[0]!.headers['x-functions-key']).toBe(KEY);
    expect(out.stderr.join('\n')).toBe(
      'release: GET /api/releases: HTTP 401: not authorized: set RELEASE_FUNCTION_KEY (or RELEASE_TOKEN) for this app',
    );
    expect([...out.stdout, ...out.stderr].join('\n')).not.toContain(KEY);
  });

  it('names the app’s own error, and an unreachable app, with exit 3', async () => {
    const refused = scripted([
      { status: 409, body: { error: { code: 'not-rollbackable', message: 'nothing to roll back' } } },
    ]);
    const a = io(refused.fetch);
    expect(await main(['rollback', 'web-prod-b1', '--reason', 'slow'], env, a)).toBe(3);
    expect(a.stderr).toEqual([
      'release: POST /api/releases/web-prod-b1/rollback: HTTP 409 not-rollbackable: nothing to roll back',
    ]);
    expect(JSON.parse(refused.seen[0]!.body!)).toEqual({ reason: 'slow' });

    const down = scripted([
      Object.assign(new TypeError('fetch failed'), {
        cause: new Error('connect ECONNREFUSED 127.0.0.1:7071'),
      }),
    ]);
    const b = io(down.fetch);
    expect(await main(['show', 'web-prod-b1'], env, b)).toBe(3);
    expect(b.stderr).toEqual([
      'release: GET /api/releases/web-prod-b1: cannot reach https://release.example.com: connect ECONNREFUSED 127.0.0.1:7071',
    ]);
  });

  it('freezes with the reason and end time, says who froze it; unfreezes; the API’s 400 is exit 3', async () => {
    const freeze = {
      by: 'function key',
      authenticated: false,
      at: '2024-05-01T10:00:00.000Z',
      since: '2024-05-01T10:00:00.000Z',
      reason: 'incident 5',
      until: '2024-05-01T18:00:00.000Z',
    };
    const { fetch, seen } = scripted([
      { status: 200, body: { target: 'web-prod', frozen: freeze, changed: true } },
      { status: 200, body: { target: 'web-prod', frozen: null, changed: true } },
      { status: 200, body: { target: 'web-prod', frozen: null, changed: false } },
      { status: 400, body: { error: { code: 'bad-until', message: 'until must be in the future' } } },
    ]);
    const out = io(fetch);
    const args = ['freeze', 'web-prod', '--reason', 'incident 5', '--until', '2024-05-01T18:00:00Z'];
    expect(await main(args, env, out)).toBe(0);
    expect(seen[0]).toMatchObject({
      url: 'https://release.example.com/api/targets/web-prod/freeze',
      method: 'POST',
    });
    expect(JSON.parse(seen[0]!.body!)).toEqual({ reason: 'incident 5', until: '2024-05-01T18:00:00Z' });
    expect(await main(['unfreeze', 'web-prod'], env, out)).toBe(0);
    expect(seen[1]).toMatchObject({ url: 'https://release.example.com/api/targets/web-prod/unfreeze' });
    expect(await main(['unfreeze', 'web-prod'], env, out)).toBe(0);
    expect(out.stdout).toEqual([
      'web-prod: frozen by function key since 2024-05-01T10:00:00.000Z until 2024-05-01T18:00:00.000Z: incident 5',
      'web-prod: unfrozen; the newest queued build starts',
      'web-prod: was not frozen; nothing changed',
    ]);
    expect(await main(['freeze', 'web-prod', '--reason', 'x', '--until', 'then'], env, out)).toBe(3);
    expect(out.stderr).toEqual([
      'release: POST /api/targets/web-prod/freeze: HTTP 400 bad-until: until must be in the future',
    ]);
  });

  it('approves as the token’s identity and sends the bearer token', async () => {
    const { fetch, seen } = scripted([
      { status: 202, body: { id: 'web-prod-b1', decision: 'approve', approver: 'alice@example.com' } },
    ]);
    const out = io(fetch);
    const code = await main(
      ['approve', 'web-prod-b1', '--comment', 'ship it', '--acknowledge-alerts'],
      { ...env, RELEASE_TOKEN: 'eyJ.token' },
      out,
    );
    expect(code).toBe(0);
    expect(seen[0]).toMatchObject({
      url: 'https://release.example.com/api/approvals/web-prod-b1/approve',
      method: 'POST',
    });
    expect(seen[0]!.headers.authorization).toBe('Bearer eyJ.token');
    expect(JSON.parse(seen[0]!.body!)).toEqual({ comment: 'ship it', acknowledgeAlerts: true });
    expect(out.stdout).toEqual(['web-prod-b1: approved by alice@example.com']);
  });

  it('signs in on the development sign-in, then decides with its session cookie, never printing it', async () => {
    const seen: Seen[] = [];
    const fake = (async (url: string, init: RequestInit) => {
      seen.push({
        url,
        method: init.method ?? 'GET',
        headers: init.headers as Record<string, string>,
        ...(typeof init.body === 'string' ? { body: init.body } : {}),
      });
      if (url.endsWith('/.auth/login/aad')) {
        return new Response(null, {
          status: 302,
          headers: {
            location: '/.auth/me',
            'set-cookie': 'AppServiceAuthSession=sess.sig; Path=/; HttpOnly',
          },
        });
      }
      return new Response(JSON.stringify({ approver: 'alice@example.com' }), { status: 202 });
    }) as unknown as typeof fetch;
    const out = io(fake);
    const code = await main(['reject', 'web-prod-b1', '--sign-in-as', 'alice@example.com'], env, out);
    expect(code).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST https://release.example.com/.auth/login/aad',
      'POST https://release.example.com/api/approvals/web-prod-b1/reject',
    ]);
    expect(seen[0]!.body).toBe('name=alice%40example.com');
    expect(seen[1]!.headers.cookie).toBe('AppServiceAuthSession=sess.sig');
    expect(out.stdout).toEqual(['web-prod-b1: rejected by alice@example.com']);
    expect([...out.stdout, ...out.stderr].join('\n')).not.toContain('sess.sig');
  });

  it('says what to use where there is no development sign-in, and how to sign in when refused', async () => {
    const azure = scripted([{ status: 400, body: 'provider token required' }]);
    const out = io(azure.fetch);
    expect(await main(['approve', 'web-prod-b1'], { ...env, RELEASE_SIGN_IN_AS: 'alice' }, out)).toBe(
      CLI_EXIT.api,
    );
    expect(out.stderr.join('\n')).toMatch(
      /^release: sign-in as alice at https:\/\/release\.example\.com: HTTP 400: provider token required \(the development sign-in is the local host's only; on Azure set RELEASE_TOKEN/,
    );

    const refused = { error: { code: 'missing-token', message: 'the approval link has no token' } };
    const bare = io(scripted([{ status: 401, body: refused }]).fetch);
    expect(await main(['approve', 'web-prod-b1'], env, bare)).toBe(CLI_EXIT.api);
    expect(bare.stderr.join('\n')).toBe(
      'release: POST /api/approvals/web-prod-b1/approve: HTTP 401 missing-token: the approval link has no token\n' +
        'approve needs a signed-in approver of the target: on the local stack add --sign-in-as <name> (its development sign-in); on Azure set RELEASE_TOKEN to an Entra ID access token for the app (or RELEASE_SESSION)',
    );
    const withToken = io(scripted([{ status: 401, body: refused }]).fetch);
    expect(await main(['approve', 'web-prod-b1'], { ...env, RELEASE_TOKEN: 'eyJ.old' }, withToken)).toBe(3);
    expect(withToken.stderr.join('\n')).toContain('App Service authentication did not accept the credential');
    expect(withToken.stderr.join('\n')).not.toContain('eyJ.old');
  });

  it('reads the token from --token-file, and sends RELEASE_SESSION as the session cookie', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-token-'));
    try {
      writeFileSync(join(dir, 'token'), 'eyJ.from-file\n');
      const a = scripted([{ status: 202, body: { approver: 'alice@example.com' } }]);
      expect(
        await main(['approve', 'web-prod-b1', '--token-file', join(dir, 'token')], env, io(a.fetch)),
      ).toBe(0);
      expect(a.seen[0]!.headers.authorization).toBe('Bearer eyJ.from-file');
      const missing = io(a.fetch);
      expect(await main(['approve', 'web-prod-b1', '--token-file', join(dir, 'none')], env, missing)).toBe(
        CLI_EXIT.usage,
      );
      expect(missing.stderr[0]).toMatch(/^release: --token-file: cannot read .*none \(ENOENT\)/);
      const b = scripted([{ status: 202, body: { approver: 'bob@example.com' } }]);
      expect(
        await main(['approve', 'web-prod-b1'], { ...env, RELEASE_SESSION: 'browser.sess' }, io(b.fetch)),
      ).toBe(0);
      expect(b.seen[0]!.headers.cookie).toBe('AppServiceAuthSession=browser.sess');
      expect(b.seen[0]!.headers.authorization).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('watch follows a release to its end and exits with its status; it rides out a restarting app', async () => {
    const timeline = [{ step: 'deploy', startedAt: '2024-05-01T10:00:00.000Z' }];
    const done = [
      {
        step: 'deploy',
        startedAt: '2024-05-01T10:00:00.000Z',
        endedAt: '2024-05-01T10:00:02.500Z',
        durationMs: 2500,
        outcome: 'ok' as const,
        detail: '3 instance(s)',
      },
    ];
    const { fetch } = scripted([
      { status: 200, body: at('Running', 'deploying', timeline) },
      { status: 503, body: { error: { code: 'unavailable', message: 'retry later' } } },
      { status: 200, body: at('Running', 'baking', done) },
      {
        status: 200,
        body: {
          ...at('RolledBack', 'done', done),
          rollback: {
            trigger: 'alert',
            requestedAt: NOW.toISOString(),
            trafficBackAt: NOW.toISOString(),
            latencyMs: 420,
            alert: { alertId: 'a', rule: 'errors', targetResourceIds: [], firedAt: NOW.toISOString() },
          },
        },
      },
    ]);
    const out = io(fetch);
    expect(await main(['watch', 'web-prod-b1234', '--interval', '500'], env, out)).toBe(11);
    expect(out.slept).toEqual([500, 500, 500]);
    expect(out.stderr).toEqual([
      'GET /api/releases/web-prod-b1234: HTTP 503 unavailable: retry later; retrying',
    ]);
    expect(out.stdout).toEqual([
      '10:00:00   deploy          ◌ running',
      '10:06:00 web-prod-b1234 Running (deploying)',
      '10:00:02   deploy          ✔ ok 2.5 s  3 instance(s)',
      '10:06:00 web-prod-b1234 Running (baking)',
      '10:06:00 web-prod-b1234 RolledBack',
      '10:06:00   traffic back 420 ms after the alert fired',
    ]);
  });

  it('watch <target> follows the target’s running release and redraws in place on a terminal', async () => {
    const { fetch, seen } = scripted([
      { status: 200, body: { releases: [{ ...at('Running', 'baking'), id: 'web-prod-b1235' }] } },
      { status: 200, body: { ...at('Succeeded', 'done'), id: 'web-prod-b1235' } },
    ]);
    const out = io(fetch, true);
    expect(await main(['watch', 'web-prod', '--no-color'], env, out)).toBe(0);
    expect(seen.map((s) => s.url)).toEqual([
      'https://release.example.com/api/releases?target=web-prod&status=Running&limit=10',
      'https://release.example.com/api/releases/web-prod-b1235',
    ]);
    expect(out.stdout).toHaveLength(1);
    expect(out.stdout[0]!.startsWith('\u001b[H\u001b[2JEvery 2s: release watch web-prod')).toBe(true);
    expect(out.stdout[0]).toContain('Release:   web-prod-b1235  Succeeded');
  });

  it('watch <target> with nothing running follows its newest release, across pages', async () => {
    const old = { ...at('Succeeded', 'done'), id: 'web-prod-b9', createdAt: '2024-05-01T09:00:00.000Z' };
    const newer = { ...at('Failed', 'done'), id: 'web-prod-b10', createdAt: '2024-05-01T11:00:00.000Z' };
    const { fetch, seen } = scripted([
      { status: 200, body: { releases: [] } },
      { status: 200, body: { releases: [] } },
      { status: 200, body: { releases: [old], continuationToken: 'page2' } },
      { status: 200, body: { releases: [newer] } },
      { status: 200, body: newer },
    ]);
    const out = io(fetch);
    expect(await main(['watch', 'web-prod'], env, out)).toBe(10);
    expect(seen.map((s) => s.url.replace('https://release.example.com', ''))).toEqual([
      '/api/releases?target=web-prod&status=Running&limit=10',
      '/api/releases?target=web-prod&status=Queued&limit=10',
      '/api/releases?target=web-prod&limit=500',
      '/api/releases?target=web-prod&limit=500&continuationToken=page2',
      '/api/releases/web-prod-b10',
    ]);
  });

  it('watch of a target without releases says so', async () => {
    const out = io(scripted([{ status: 200, body: { releases: [] } }]).fetch);
    expect(await main(['watch', 'web-prod'], env, out)).toBe(3);
    expect(out.stderr).toEqual(["release: target 'web-prod' has no release"]);
  });

  it('ls says how to get the next page', async () => {
    const out = io(
      scripted([{ status: 200, body: { releases: [aReleaseView()], continuationToken: 'abc' } }]).fetch,
    );
    expect(await main(['ls'], env, out)).toBe(0);
    expect(out.stdout[0]).toContain('web-prod-b1234');
    expect(out.stderr).toEqual(['More releases may follow: add --continuation-token abc']);
  });
});

describe('release CLI text', () => {
  const style = { color: false };
  it('lists releases in aligned columns', () => {
    const text = renderList(
      [aReleaseView(), aReleaseView({ id: 'web-prod-b99', status: 'Failed', phase: 'done' })],
      style,
    );
    expect(text.split('\n')).toEqual([
      'RELEASE         TARGET    BUILD       STATUS      PHASE              CREATED (UTC)',
      'web-prod-b1234  web-prod  20240501.3  Running     awaiting-approval  2024-05-01 10:00:00Z',
      'web-prod-b99    web-prod  20240501.3  Failed      done               2024-05-01 10:00:00Z',
    ]);
    expect(renderList([], style)).toBe('No releases.');
  });

  it('shows a release: facts, the timeline with running steps timed to now, deploy, verify and alerts', () => {
    const text = renderRelease(
      aReleaseView({
        timeline: [
          {
            step: 'deploy',
            startedAt: '2024-05-01T10:00:00.000Z',
            endedAt: '2024-05-01T10:00:03.000Z',
            durationMs: 3000,
            outcome: 'ok',
            detail: '2 instance(s)',
          },
          { step: 'approval', startedAt: '2024-05-01T10:05:00.000Z' },
        ],
        deploy: {
          instances: [
            { instance: 'vm-0', exitCode: 0, succeeded: true, outputTail: 'unpacked\nrestarted' },
            { instance: 'vm-1', exitCode: 10, succeeded: false, outputTail: 'download failed' },
          ],
          failed: 1,
          tolerated: 1,
        },
        warnings: [{ code: 'mixed-versions', message: '1 of 2 instances on 20240501.3' }],
      }),
      NOW,
      style,
    );
    expect(text).toContain('Release:   web-prod-b1234  Running (awaiting-approval)');
    expect(text).toContain('Approval:  waiting for a decision (expires 2024-05-02T10:00:00.000Z)');
    expect(text).toContain('Warning mixed-versions: 1 of 2 instances on 20240501.3');
    expect(text).toMatch(/deploy\s+✔ ok\s+10:00:00\s+3\.0 s\s+2 instance\(s\)/);
    expect(text).toMatch(/approval\s+◌ running\s+10:05:00\s+1 min 00 s/);
    expect(text).toContain('  vm-0  ✔ exit 0   restarted');
    expect(text).toContain('  vm-1  ✖ exit 10  download failed');
    expect(text).toContain('VERIFY  ✔ http://10.0.0.5/health version 20240501.3 (1 attempt(s))');
    expect(text).not.toContain('token=');
  });

  it('shows a swap held by a freeze', () => {
    const freeze = {
      by: 'ops',
      authenticated: true,
      at: 't',
      since: 't',
      reason: 'incident 8',
      until: '2024-05-01T12:00:00.000Z',
    };
    const text = renderRelease(aReleaseView({ freeze }), NOW, { color: false });
    expect(text).toContain('Swap held: target frozen by ops until 2024-05-01T12:00:00.000Z: incident 8');
  });

  it('shows the approval quorum while waiting', () => {
    const view = aReleaseView();
    Object.assign(view.approval!, {
      minApprovers: 2,
      approvals: [{ by: 'alice@example.com' }],
      approvers: ['alice@example.com', 'bob@example.com'],
    });
    expect(renderRelease(view, NOW, style)).toContain(
      'Approval:  waiting for a decision; 1 of 2 approvals (alice@example.com); may decide: alice@example.com, bob@example.com (expires 2024-05-02T10:00:00.000Z)',
    );
  });

  it('colours only when asked', () => {
    expect(renderRelease(aReleaseView(), NOW, { color: true })).toContain('\u001b[33m');
    expect(renderRelease(aReleaseView(), NOW, { color: false })).not.toContain('\u001b[');
  });

  it('prints a change once', () => {
    const v = at('Running', 'deploying', [{ step: 'deploy', startedAt: '2024-05-01T10:00:00.000Z' }]);
    expect(renderChanges(v, v, style)).toEqual([]);
  });
});
