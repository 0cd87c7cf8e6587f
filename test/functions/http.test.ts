/**
 * Every HTTP endpoint's edges, on the whole app (real @azure/functions + durable-functions on the local
 * test host, fakes behind every port): keys and secrets, bad and oversized bodies, approval tokens that are
 * tampered, expired, replayed or for something else, and GETs that must change nothing. Each refusal is
 * checked for its status, its `{ error: { code, message } }` and for having started or changed nothing.
 */
import { createHash } from 'node:crypto';
import { createTestHost, type TestHost } from '../../local/host';
import type { ReleaseView } from '../../src/core/domain';
import { urgentFirst } from '../../src/core/concurrency';
import { FREEZE_SEEN_MS } from '../../src/core/api/builds';
import { ValidationError } from '../../src/core/errors';
import { signApprovalToken } from '../../src/core/approval/token';
import { Events } from '../../src/core/names';
import { registerApp } from '../../src/functions';
import { basicAuthHeader } from '../builders/http';
import { ids } from '../builders/target';
import {
  FIXTURES,
  aBuildCompletePayload,
  aCommonAlertPayload,
  aRunStateChangedPayload,
  loadFixture,
} from '../builders/payloads';
import { examples } from '../../src/core/contract';
import { basicAuthHeaderFor, startApp, type AppHost } from '../support/appHost';

const MiB = 1024 * 1024;
const HOOK = '/api/hooks/devops/web-prod';
const ALERTS = '/api/hooks/alerts';
const RELEASE = 'web-prod-b101';

type Json = Record<string, unknown>;

/** An answer read once: status, headers and the body as text and (when it is JSON) parsed. */
interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

async function read(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // HTML pages and empty bodies stay text only
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Asserts an `{ error: { code, message } }` answer; `message` must name the problem. */
function expectError(answer: Answer, status: number, code: string, message?: RegExp | string): void {
  expect({ status: answer.status, code: (answer.json.error as Json | undefined)?.code }).toEqual({
    status,
    code,
  });
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  const text = (answer.json.error as Json).message as string;
  expect(typeof text).toBe('string');
  if (message !== undefined) expect(text).toMatch(message);
}

/** The filter fingerprint the release list puts into its tokens, for unfiltered lists (to forge one). */
function tokenFilters(): string {
  return createHash('sha256')
    .update(JSON.stringify(['', '', '', '']))
    .digest('base64url')
    .slice(0, 16);
}

/** Asserts that no orchestration exists and no deploy or traffic change happened. */
function expectNothingStarted(app: AppHost): void {
  expect(app.host.list().map((s) => s.instanceId)).toEqual([]);
  expect(app.world.runs).toEqual([]);
  expect(app.world.writes).toEqual([]);
}

/** The decisions raised into a release so far. */
function decisionsRaised(app: AppHost, id: string): unknown[] {
  return app.host.history(id).filter((e) => e.Name === Events.ApprovalDecision);
}

/** Delivers build `id` and runs until its release waits for approval. */
async function awaitingApproval(app: AppHost, id = 101): Promise<ReleaseView> {
  const answer = await app.hook(id);
  expect(answer.status).toBe(202);
  await app.host.idle();
  return withLinks(app, answer.body.id as string);
}

/**
 * The release's status, with the links its notifier got added to its `approval` (the status never carries them):
 * what an approver holds.
 */
async function withLinks(app: AppHost, id: string): Promise<ReleaseView> {
  const view = await app.release(id);
  expect(view.phase).toBe('awaiting-approval');
  expect(view.approval).not.toHaveProperty('approveUrl');
  expect(view.approval).not.toHaveProperty('rejectUrl');
  return { ...view, approval: { ...view.approval!, ...(await app.links(id)) } };
}

/** Asserts the release still awaits approval and no decision reached it. */
async function expectStillAwaiting(app: AppHost, id = RELEASE): Promise<void> {
  await app.host.idle();
  const view = await app.release(id);
  expect({ status: view.status, phase: view.phase, decision: view.approval?.decision }).toEqual({
    status: 'Running',
    phase: 'awaiting-approval',
    decision: undefined,
  });
  expect(decisionsRaised(app, id)).toEqual([]);
  expect(app.world.writes).toEqual([]);
}

/** Path and query of an absolute link, and its token. */
function linkParts(link: string | undefined): { path: string; token: string } {
  const url = new URL(link!);
  return { path: url.pathname, token: url.searchParams.get('token')! };
}

/** POSTs JSON to an approval path (anonymous: no function key). */
function postJson(app: AppHost, path: string, body: Json, headers: Record<string, string> = {}) {
  return fetch(app.host.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }).then(read);
}

/** A POST of a JSON body with the function key (the host's fetch adds it). */
function postKeyed(app: AppHost, path: string, body: Json) {
  return app.host
    .fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    .then(read);
}

/** A POST of a JSON body to the service hook with the function key and the service hook secret. */
function postHook(app: AppHost, body: string | Uint8Array, headers: Record<string, string> = {}) {
  return app.host
    .fetch(HOOK, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: basicAuthHeaderFor(app.config),
        ...headers,
      },
      body,
    })
    .then(read);
}

function postAlert(app: AppHost, body: string | Uint8Array, headers: Record<string, string> = {}) {
  return app.host
    .fetch(ALERTS, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
    .then(read);
}

/** A body sent chunked, without Content-Length: the size cap must hold while streaming too. */
function chunked(bytes: Uint8Array): RequestInit {
  const chunk = 64 * 1024;
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + chunk));
      offset += chunk;
    },
  });
  return { body: stream, duplex: 'half' } as RequestInit;
}

/** JSON text of `payload` padded (in an extra top-level field) to exactly `size` bytes. */
function paddedTo(payload: Json, size: number): string {
  const empty = JSON.stringify({ ...payload, padding: '' });
  const text = JSON.stringify({ ...payload, padding: 'x'.repeat(size - Buffer.byteLength(empty)) });
  expect(Buffer.byteLength(text)).toBe(size);
  return text;
}

/** Flips one base64url character of `text` at `index` to a different one. */
function flipAt(text: string, index: number): string {
  const ch = text[index]!;
  return text.slice(0, index) + (ch === 'A' ? 'B' : 'A') + text.slice(index + 1);
}

let app: AppHost | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('function key', () => {
  const keyed: { name: string; method: string; path: string }[] = [
    { name: 'service hook', method: 'POST', path: HOOK },
    { name: 'alert hook', method: 'POST', path: ALERTS },
    { name: 'release list', method: 'GET', path: '/api/releases' },
    { name: 'release', method: 'GET', path: `/api/releases/${RELEASE}` },
    { name: 'rollback', method: 'POST', path: `/api/releases/${RELEASE}/rollback` },
    { name: 'cancel', method: 'POST', path: `/api/releases/${RELEASE}/cancel` },
    { name: 're-run', method: 'POST', path: `/api/releases/${RELEASE}/rerun` },
    { name: 'alert list', method: 'GET', path: '/api/alerts' },
    { name: 'target list', method: 'GET', path: '/api/targets' },
    { name: 'freeze', method: 'POST', path: '/api/targets/web-prod/freeze' },
    { name: 'unfreeze', method: 'POST', path: '/api/targets/web-prod/unfreeze' },
  ];

  it.each(keyed)(
    '$name: missing or wrong key → 401 and the function never runs',
    async ({ method, path }) => {
      app = await startApp();
      const body =
        method === 'POST'
          ? JSON.stringify(path === ALERTS ? aCommonAlertPayload() : aBuildCompletePayload())
          : null;
      const headers = { 'content-type': 'application/json' };
      const missing = await fetch(app.host.url + path, { method, headers, body });
      const wrong = await fetch(app.host.url + path, {
        method,
        headers: { ...headers, 'x-functions-key': 'not-the-key' },
        body,
      });
      const wrongCode = await fetch(`${app.host.url}${path}?code=not-the-key`, { method, headers, body });
      expect([missing.status, wrong.status, wrongCode.status]).toEqual([401, 401, 401]);
      expectNothingStarted(app);
      // The app's own logger never saw a request: the host refused it before invoking the function.
      expect(app.log.lines).toEqual([]);
    },
  );

  it('a wrong key is refused even with the right service hook secret as Basic auth', async () => {
    app = await startApp();
    const res = await fetch(app.host.url + HOOK, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-functions-key': 'not-the-key',
        authorization: basicAuthHeaderFor(app.config),
      },
      body: JSON.stringify(aBuildCompletePayload({ id: 101 })),
    });
    expect(res.status).toBe(401);
    expectNothingStarted(app);
  });

  it('?code= is accepted in place of the header, on every keyed endpoint', async () => {
    app = await startApp();
    const code = `code=${encodeURIComponent(app.host.functionKey)}`;
    const hook = await fetch(`${app.host.url}${HOOK}?${code}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuthHeaderFor(app.config) },
      body: JSON.stringify(aBuildCompletePayload({ id: 101, buildNumber: '1.0.101' })),
    }).then(read);
    expect(hook.status).toBe(202);
    expect(hook.json.id).toBe(RELEASE);
    await app.host.idle();

    const alert = await fetch(`${app.host.url}${ALERTS}?${code}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(aCommonAlertPayload()),
    }).then(read);
    expect(alert.status).toBe(200);

    const list = await fetch(`${app.host.url}/api/releases?${code}`).then(read);
    expect(list.status).toBe(200);
    expect((list.json.releases as ReleaseView[]).map((r) => r.id)).toEqual([RELEASE]);
    const one = await fetch(`${app.host.url}/api/releases/${RELEASE}?${code}`).then(read);
    expect(one.status).toBe(200);
    expect(one.json.phase).toBe('awaiting-approval');

    // Accepted by the host; the app then refuses it for its own reason (traffic has not moved).
    const rollback = await fetch(`${app.host.url}/api/releases/${RELEASE}/rollback?${code}`, {
      method: 'POST',
    }).then(read);
    expectError(rollback, 409, 'not-rollbackable', /awaiting-approval/);
  });

  it('approval links need no function key: the signed token is their credential', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const res = await fetch(view.approval!.approveUrl!.replace('https://release.example.com', app.host.url));
    expect(res.status).toBe(200);
  });
});

describe('service hook POST /api/hooks/devops/{target}', () => {
  describe('refusals start nothing', () => {
    // One app for all refusals: each test also proves the previous ones started nothing.
    let shared: AppHost;
    beforeAll(async () => {
      shared = await startApp();
    });
    afterAll(async () => {
      await shared.close();
    });
    afterEach(() => {
      expectNothingStarted(shared);
    });
    const valid = (): string => JSON.stringify(aBuildCompletePayload({ id: 101 }));

    function expectUnauthorized(answer: Answer): void {
      expectError(answer, 401, 'unauthorized', /basic authentication/);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    }

    it('missing Authorization → 401 with WWW-Authenticate', async () => {
      const answer = await shared.host
        .fetch(HOOK, { method: 'POST', headers: { 'content-type': 'application/json' }, body: valid() })
        .then(read);
      expectUnauthorized(answer);
      expectUnauthorized(await postHook(shared, valid(), { authorization: '' }));
      expectUnauthorized(await postHook(shared, valid(), { authorization: 'Basic !!not-base64!!' }));
      // No colon: a user name alone is no password.
      expectUnauthorized(
        await postHook(shared, valid(), {
          authorization: `Basic ${Buffer.from(shared.config.serviceHookSecret).toString('base64')}`,
        }),
      );
    });

    it('without the secret, an unknown target is 401 too: target names are not disclosed', async () => {
      const answer = await shared.host
        .fetch('/api/hooks/devops/web-staging', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: valid(),
        })
        .then(read);
      expectUnauthorized(answer);
      expect(answer.text).not.toContain('web-prod');
    });

    it('wrong password → 401', async () => {
      expectUnauthorized(
        await postHook(shared, valid(), { authorization: basicAuthHeader('azure-devops', 'wrong-secret') }),
      );
    });

    it('right secret with a non-Basic scheme → 401', async () => {
      expectUnauthorized(
        await postHook(shared, valid(), { authorization: `Bearer ${shared.config.serviceHookSecret}` }),
      );
    });

    it('a password that only starts with the secret → 401', async () => {
      const secret = shared.config.serviceHookSecret;
      expectUnauthorized(
        await postHook(shared, valid(), { authorization: basicAuthHeader('u', `${secret}x`) }),
      );
      expectUnauthorized(
        await postHook(shared, valid(), { authorization: basicAuthHeader('u', secret.slice(0, -1)) }),
      );
    });

    it('unknown target → 400 (never 404 or 500) naming the configured targets', async () => {
      const answer = await shared.host
        .fetch('/api/hooks/devops/web-staging', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: basicAuthHeaderFor(shared.config) },
          body: valid(),
        })
        .then(read);
      expectError(answer, 400, 'unknown-target', /'web-staging'.*configured: web-prod/);
    });

    it('not JSON → 400 saying where it stops being JSON (without echoing it)', async () => {
      const answer = await postHook(shared, '{"eventType": "build.complete", secret-stuff');
      expectError(answer, 400, 'invalid-json', /not valid JSON/);
      expect(answer.text).not.toContain('secret-stuff');
    });

    it('empty body → 400', async () => {
      expectError(await postHook(shared, ''), 400, 'empty-body', /empty/);
    });

    // Was 400 "Maximum call stack size exceeded": the depth is bounded before anything walks the body.
    it('100,000-deep nested JSON (valid or cut short) → 400 naming the depth limit', async () => {
      const depth = 100_000;
      for (const body of [
        '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
        '['.repeat(depth) + ']'.repeat(depth),
        '['.repeat(depth),
      ]) {
        const answer = await postHook(shared, body);
        expectError(answer, 400, 'json-too-deep', /nested deeper than the limit of 64 levels/);
        expectError(await postAlert(shared, body), 400, 'json-too-deep', /limit of 64 levels/);
      }
    });

    it('not UTF-8 → 400', async () => {
      const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
      expectError(await postHook(shared, bytes), 400, 'invalid-encoding', /UTF-8/);
    });

    it('a JSON array or scalar → 400 naming the body', async () => {
      expectError(await postHook(shared, '[]'), 400, 'invalid-payload', /\(body\): expected a JSON object/);
      expectError(await postHook(shared, '42'), 400, 'invalid-payload', /expected a JSON object/);
    });

    it('wrong content type → 415 naming it', async () => {
      expectError(
        await postHook(shared, valid(), { 'content-type': 'text/plain' }),
        415,
        'unsupported-media-type',
        /application\/json.*"text\/plain"/,
      );
      expectError(
        await postHook(shared, valid(), { 'content-type': 'application/x-www-form-urlencoded' }),
        415,
        'unsupported-media-type',
      );
      expectError(
        await postHook(shared, valid(), { 'content-type': 'application/json; charset=iso-8859-1' }),
        415,
        'unsupported-media-type',
        /charset/,
      );
    });

    it('body over 1 MiB → 413, by Content-Length and while streaming', async () => {
      const big = paddedTo(aBuildCompletePayload({ id: 101 }), MiB + 1);
      expectError(await postHook(shared, big), 413, 'payload-too-large', /1048576 bytes/);
      const streamed = await shared.host
        .fetch(HOOK, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: basicAuthHeaderFor(shared.config) },
          ...chunked(Buffer.from(big)),
        })
        .then(read);
      expectError(streamed, 413, 'payload-too-large');
    });

    it('missing fields → 400 naming every one of them', async () => {
      const noId = await postHook(shared, JSON.stringify(aBuildCompletePayload({ id: undefined })));
      expectError(noId, 400, 'invalid-payload', /resource\.id/);
      expect(noId.json.error).toMatchObject({ details: [expect.objectContaining({ path: 'resource.id' })] });

      const several = await postHook(
        shared,
        JSON.stringify(aBuildCompletePayload({ id: undefined, buildNumber: 7, definition: undefined })),
      );
      expectError(
        several,
        400,
        'invalid-payload',
        /resource\.id.*resource\.buildNumber.*resource\.definition\.name/,
      );

      const completedWithoutResult = await postHook(
        shared,
        JSON.stringify(aBuildCompletePayload({ result: undefined })),
      );
      expectError(completedWithoutResult, 400, 'invalid-payload', /resource\.result/);

      const noEventType = await postHook(shared, JSON.stringify({ resource: {} }));
      expectError(noEventType, 400, 'invalid-payload', /eventType/);

      const runWithoutRun = await postHook(
        shared,
        JSON.stringify({ eventType: 'ms.vss-pipelines.run-state-changed-event', resource: {} }),
      );
      expectError(runWithoutRun, 400, 'invalid-payload', /resource\.run/);
    });

    it.each([
      ['failed', { result: 'failed' }, /result is "failed"/],
      ['canceled', { result: 'canceled' }, /result is "canceled"/],
      ['partially succeeded', { result: 'partiallySucceeded' }, /partiallySucceeded/],
      ['in progress', { status: 'inProgress', result: undefined }, /status is "inProgress"/],
    ])('a %s build → 200 {ignored: reason}', async (_name, resource, reason) => {
      const answer = await postHook(shared, JSON.stringify(aBuildCompletePayload({ id: 101, ...resource })));
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ ignored: expect.stringMatching(reason) });
    });

    it('run-state-changed that is in progress or failed → 200 {ignored}', async () => {
      const running = await postHook(
        shared,
        JSON.stringify(aRunStateChangedPayload({ state: 'inProgress', result: undefined })),
      );
      expect(running.status).toBe(200);
      expect(running.json.ignored).toMatch(/inProgress; only completed runs release/);
      const failed = await postHook(shared, JSON.stringify(aRunStateChangedPayload({ result: 'failed' })));
      expect(failed.status).toBe(200);
      expect(failed.json.ignored).toMatch(/"failed"; only succeeded runs release/);
    });

    it('an unsupported event type → 200 {ignored} naming the supported ones', async () => {
      const answer = await postHook(shared, JSON.stringify({ eventType: 'git.push', resource: {} }));
      expect(answer.status).toBe(200);
      expect(answer.json.ignored).toMatch(/unsupported eventType "git\.push".*build\.complete/);
    });

    it('the published deployment-completed sample (no build artifact) → 200 {ignored}', async () => {
      const answer = await postHook(shared, JSON.stringify(loadFixture(FIXTURES.deploymentCompleted)));
      expect(answer.status).toBe(200);
      expect(answer.json.ignored).toMatch(/no Build artifact/);
    });
  });

  it('on a frozen target the first delivery and its redeliveries both name the freeze (who, until when, why)', async () => {
    app = await startApp();
    const freeze = await app.host
      .fetch('/api/targets/web-prod/freeze', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'incident 4711', until: '2026-01-01T18:00:00Z' }),
      })
      .then(read);
    expect(freeze.status).toBe(200);
    const frozen = freeze.json.frozen as Json;
    const first = await app.hook(101);
    expect(first).toEqual({
      status: 202,
      body: {
        id: RELEASE,
        statusUrl: `https://release.example.com/api/releases/${RELEASE}`,
        queued: true,
        frozen,
        message: expect.stringMatching(
          /^target 'web-prod' is frozen by function key since .+ until 2026-01-01T18:00:00\.000Z: incident 4711; the build is queued/,
        ),
      },
    });
    await app.host.idle();
    // Answered from this instance's memory with the freeze seen moments ago, then (later) after reading the lane again.
    for (const again of [
      await app.hook(101),
      (await app.host.advance(FREEZE_SEEN_MS), await app.hook(101)),
    ]) {
      expect(again).toEqual({
        status: 202,
        body: {
          id: RELEASE,
          statusUrl: `https://release.example.com/api/releases/${RELEASE}`,
          duplicate: true,
          frozen,
          message: expect.stringMatching(
            /^target 'web-prod' is frozen by function key since .+ until 2026-01-01T18:00:00\.000Z: incident 4711; this build was delivered before: its status says whether it is queued/,
          ),
        },
      });
    }
    await app.host.fetch('/api/targets/web-prod/unfreeze', { method: 'POST' });
    expect((await app.hook(101)).body).not.toHaveProperty('frozen');
  });

  it('the published build.complete sample (succeeded) → 202 {id, statusUrl}, and the release starts', async () => {
    app = await startApp();
    const fixture = loadFixture(FIXTURES.buildComplete);
    expect(fixture.resource).toMatchObject({ status: 'completed', result: 'succeeded' });
    const answer = await postHook(app, JSON.stringify(fixture));
    expect(answer.status).toBe(202);
    expect(answer.json).toEqual({
      id: 'web-prod-b2727068',
      statusUrl: 'https://release.example.com/api/releases/web-prod-b2727068',
    });
    await app.host.idle();
    const view = await app.release('web-prod-b2727068');
    expect(view.build).toMatchObject({ id: '2727068', number: '20221202.1', source: 'build.complete' });

    // Redelivered: same id, nothing new.
    const again = await postHook(app, JSON.stringify(fixture));
    expect(again.status).toBe(202);
    expect(again.json).toMatchObject({ id: 'web-prod-b2727068', duplicate: true });
    await app.host.idle();
    expect(app.host.list().filter((s) => s.name === 'Release')).toHaveLength(1);
  });

  it('no answer exposes the Durable management URLs, the function key or a secret', async () => {
    app = await startApp();
    const hook = await app.hook(101);
    await app.host.idle();
    const texts = [
      JSON.stringify(hook.body),
      await app.host.fetch(`/api/releases/${RELEASE}`).then((r) => r.text()),
      await app.host.fetch('/api/releases').then((r) => r.text()),
    ];
    const view = await withLinks(app, RELEASE);
    const { path, token } = linkParts(view.approval!.approveUrl);
    texts.push(await fetch(`${app.host.url}${path}?token=${token}`).then((r) => r.text()));
    for (const text of texts) {
      expect(text).not.toMatch(/runtime\/webhooks|durabletask|sendEventPostUri|terminatePostUri/i);
      expect(text).not.toContain(app.host.functionKey);
      expect(text).not.toContain(app.config.approvalSigningKey);
      expect(text).not.toContain(app.config.serviceHookSecret);
    }
  });

  it('the published run-state-changed sample (completed, succeeded) → 202 and the release starts', async () => {
    app = await startApp();
    const fixture = loadFixture(FIXTURES.runStateChanged);
    expect((fixture.resource as Json).run).toMatchObject({ state: 'completed', result: 'succeeded' });
    const answer = await postHook(app, JSON.stringify(fixture));
    expect(answer.status).toBe(202);
    expect(answer.json).toEqual({
      id: 'web-prod-b11',
      statusUrl: 'https://release.example.com/api/releases/web-prod-b11',
    });
    await app.host.idle();
    expect((await app.release('web-prod-b11')).build).toMatchObject({
      id: '11',
      pipeline: 'TEST-CI',
      source: 'run-state-changed',
    });
  });

  it('a body of exactly 1 MiB is still accepted', async () => {
    app = await startApp();
    const answer = await postHook(
      app,
      paddedTo(aBuildCompletePayload({ id: 101, buildNumber: '1.0.101' }), MiB),
    );
    expect(answer.status).toBe(202);
    expect(answer.json.id).toBe(RELEASE);
  });

  // The release id (and so the Durable instance id) is derived from the build id. Instance ids travel
  // unencoded in the Durable client's URLs and are Azure Table partition keys ('/', '\', '#', '?' and
  // control characters are not allowed there): an id that cannot be one is bad input, not a release.
  it('a build id that cannot be an instance id (/, backslash, #, ?, control, over 1 KiB) → 400 naming it', async () => {
    app = await startApp();
    for (const id of ['a/b', '1?x=2', '1#x', '1\\2', '1\u0000', 'x'.repeat(1100)]) {
      const build = await postHook(app, JSON.stringify(aBuildCompletePayload({ id, buildNumber: '1.0.1' })));
      expectError(build, 400, 'invalid-payload', /resource\.id/);
      const run = await postHook(app, JSON.stringify(aRunStateChangedPayload({ id })));
      expectError(run, 400, 'invalid-payload', /resource\.run\.id/);
      await app.host.idle();
      expectNothingStarted(app);
    }
  });

  // Issue 7 §7: build numbers the deploy scripts refuse were answered 202 and deployed (exit 2 on every
  // instance); a 900,000-character requestedBy was accepted. Every field is checked against
  // scripts/contract.json, the table the scripts' own tests use.
  it.each(
    examples('VERSION').bad.map((v) => [
      JSON.stringify(v.length > 40 ? `${v.slice(0, 20)}… (${v.length})` : v),
      v,
    ]),
  )(
    'a build number the deploy scripts refuse (%s) → 400 naming the field and the rule; nothing starts',
    async (_, number) => {
      app = await startApp();
      const rule = number.length > 128 ? /is longer than 128 characters/ : /may only hold letters, digits/;
      const build = await postHook(
        app,
        JSON.stringify(aBuildCompletePayload({ id: 101, buildNumber: number })),
      );
      expectError(build, 400, 'invalid-payload', new RegExp(`resource\\.buildNumber: ${rule.source}`));
      const run = await postHook(app, JSON.stringify(aRunStateChangedPayload({ id: 101, name: number })));
      expectError(run, 400, 'invalid-payload', new RegExp(`resource\\.run\\.name: ${rule.source}`));
      await app.host.idle();
      expectNothingStarted(app);
    },
  );

  it('a build number of the longest allowed length releases', async () => {
    app = await startApp();
    const answer = await postHook(
      app,
      JSON.stringify(aBuildCompletePayload({ id: 101, buildNumber: '9'.repeat(128) })),
    );
    expect(answer.status).toBe(202);
  });

  it.each([
    [
      'requestedFor.displayName',
      { requestedFor: { displayName: 'x'.repeat(900_000) } },
      /is longer than 256 characters \(900000\)/,
    ],
    [
      'requestedFor.displayName',
      { requestedFor: { displayName: 'Jack\r\nX-Injected: 1' } },
      /must be text without control characters/,
    ],
    ['definition.name', { definition: { id: 42, name: 'p'.repeat(257) } }, /is longer than 256 characters/],
    ['sourceBranch', { sourceBranch: `refs/heads/${'b'.repeat(300)}` }, /is longer than 256 characters/],
    ['sourceBranch', { sourceBranch: 'refs/heads/a\u0000b' }, /must be text without control characters/],
    ['sourceVersion', { sourceVersion: '6e12f61; rm -rf /' }, /must be a commit id or changeset/],
    ['project.name', { project: { name: 'P'.repeat(1000) } }, /is longer than 256 characters/],
    ['url', { url: 'javascript:alert(1)' }, /must be an http\(s\) URL/],
  ])(
    'resource.%s out of its bounds → 400 naming it and the rule; nothing starts',
    async (field, resource, rule) => {
      app = await startApp();
      const answer = await postHook(app, JSON.stringify(aBuildCompletePayload({ id: 101, ...resource })));
      expectError(
        answer,
        400,
        'invalid-payload',
        new RegExp(`resource\\.${field.replace('.', '\\.')}: ${rule.source}`),
      );
      expect((answer.json.error as Json).message as string).not.toContain('x'.repeat(300));
      await app.host.idle();
      expectNothingStarted(app);
    },
  );

  it("a VERSION the target's expectVersion builds from valid fields but the script would refuse → 400; nothing starts", async () => {
    app = await startApp({ health: { attempts: 3, intervalSeconds: 5, expectVersion: '{branch}-{number}' } });
    const answer = await postHook(
      app,
      JSON.stringify(aBuildCompletePayload({ id: 101, sourceBranch: 'refs/heads/feature/login' })),
    );
    expectError(
      answer,
      400,
      'invalid-payload',
      /VERSION \(from the target's health\.expectVersion\): may only hold letters, digits/,
    );
    await app.host.idle();
    expectNothingStarted(app);
  });

  it('pipeline and branch filters: a mismatch → 200 {ignored} naming the filter; a match releases', async () => {
    app = await startApp({ filters: { pipelines: ['web-ci', 'TEST-*'], branches: ['main', 'release/*'] } });
    const otherPipeline = await postHook(
      app,
      JSON.stringify(aBuildCompletePayload({ id: 101, definition: { id: 7, name: 'docs-ci' } })),
    );
    expect(otherPipeline.status).toBe(200);
    expect(otherPipeline.json.ignored).toMatch(
      /pipeline "docs-ci" \(id 7\) is not in filters\.pipelines \[web-ci, TEST-\*\]/,
    );

    const otherBranch = await postHook(
      app,
      JSON.stringify(aBuildCompletePayload({ id: 102, sourceBranch: 'refs/heads/feature/x' })),
    );
    expect(otherBranch.status).toBe(200);
    expect(otherBranch.json.ignored).toMatch(/branch "refs\/heads\/feature\/x" is not in filters\.branches/);

    // The published run sample names no branch: with a branch filter it cannot release.
    const noBranch = await postHook(app, JSON.stringify(loadFixture(FIXTURES.runStateChanged)));
    expect(noBranch.status).toBe(200);
    expect(noBranch.json.ignored).toMatch(/names no branch/);
    expectNothingStarted(app);

    const match = await postHook(
      app,
      JSON.stringify(
        aBuildCompletePayload({ id: 103, buildNumber: '1.0.103', sourceBranch: 'refs/heads/release/2.1' }),
      ),
    );
    expect(match.status).toBe(202);
    expect(match.json.id).toBe('web-prod-b103');
  });
});

describe('alert hook POST /api/hooks/alerts', () => {
  let shared: AppHost;
  beforeAll(async () => {
    shared = await startApp();
  });
  afterAll(async () => {
    await shared.close();
  });
  afterEach(() => {
    // Only the alert journal (GET /api/alerts) may exist: no release, lane, deploy or traffic change.
    expect(
      shared.host
        .list()
        .map((s) => s.instanceId)
        .filter((i) => i !== '_alert-journal'),
    ).toEqual([]);
    expect(shared.world.runs).toEqual([]);
    expect(shared.world.writes).toEqual([]);
  });

  it('a refused body is never journaled', async () => {
    const fresh = await startApp();
    try {
      await postAlert(fresh, JSON.stringify({ schemaId: 'x' }));
      expectNothingStarted(fresh);
    } finally {
      await fresh.close();
    }
  });

  it('not the common alert schema → 400 naming schemaId', async () => {
    const answer = await postAlert(
      shared,
      JSON.stringify({ ...aCommonAlertPayload(), schemaId: 'Microsoft.Insights/activityLogs' }),
    );
    expectError(answer, 400, 'invalid-payload', /schemaId.*common alert schema/);
    // An old-style (non-common) metric alert body has neither schemaId nor data.essentials.
    const legacy = await postAlert(
      shared,
      JSON.stringify({ status: 'Activated', context: { id: 'x', name: 'web-5xx' } }),
    );
    expectError(legacy, 400, 'invalid-payload', /schemaId.*data\.essentials/);
  });

  it('missing or wrong fields → 400 naming them', async () => {
    const answer = await postAlert(
      shared,
      JSON.stringify(aCommonAlertPayload({ alertId: undefined, monitorCondition: 'Exploded' })),
    );
    expectError(
      answer,
      400,
      'invalid-payload',
      /data\.essentials\.alertId.*data\.essentials\.monitorCondition/,
    );
  });

  it('bad JSON → 400; empty → 400; wrong content type → 415', async () => {
    expectError(await postAlert(shared, '{"schemaId":'), 400, 'invalid-json', /unexpected end of input/);
    expectError(await postAlert(shared, ''), 400, 'empty-body');
    expectError(
      await postAlert(shared, JSON.stringify(aCommonAlertPayload()), { 'content-type': 'text/plain' }),
      415,
      'unsupported-media-type',
    );
  });

  it('oversized → 413, by Content-Length and while streaming', async () => {
    const big = paddedTo(aCommonAlertPayload(), MiB + 1);
    expectError(await postAlert(shared, big), 413, 'payload-too-large');
    const streamed = await shared.host
      .fetch(ALERTS, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ...chunked(Buffer.from(big)),
      })
      .then(read);
    expectError(streamed, 413, 'payload-too-large');
  });

  it('a valid alert for no configured target → 200, recorded with targets []', async () => {
    const answer = await postAlert(
      shared,
      JSON.stringify(
        aCommonAlertPayload({
          alertId: '/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/a1',
          alertTargetIDs: ['/subscriptions/s/resourcegroups/rg-other/providers/microsoft.web/sites/other'],
        }),
      ),
    );
    expect(answer.status).toBe(200);
    expect(shared.log.lines.some((l) => l.includes('alerts/a1'))).toBe(true);
    expect(answer.json).toEqual({
      recorded: true,
      alertId: '/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/a1',
      monitorCondition: 'Fired',
      targets: [],
    });
  });

  it('the published metric alert sample (a storage account: no target) → 200 with targets []', async () => {
    const answer = await postAlert(shared, JSON.stringify(loadFixture(FIXTURES.metricFired)));
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ recorded: true, monitorCondition: 'Fired', targets: [] });
  });

  it('an alert of the target with no release running → 200 recorded, nothing forwarded', async () => {
    const answer = await shared.alert('no-release');
    expect(answer.status).toBe(200);
    expect(answer.body.targets).toEqual([
      { target: 'web-prod', slots: [], acted: false, forwarded: false, reason: 'no release running' },
    ]);
  });
});

describe('alert work goes first: service hook deliveries wait while this instance handles an alert', () => {
  /** Waits (by turns of the event loop, never by the clock) until `check` holds. */
  async function until(check: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 10_000; i++) {
      if (check()) return;
      await new Promise((r) => setImmediate(r));
    }
    throw new Error(`never saw: ${what}`);
  }

  it('a build delivered meanwhile waits, touching nothing, then starts with its own statusUrl; its redelivery is a duplicate', async () => {
    // Green selected by tag: the alert's routing lists its instances first. Hold it there, mid-alert.
    app = await startApp({
      slots: [
        { name: 'blue', compute: { kind: 'vmss', resourceId: ids.scaleSet('vmss-blue') } },
        {
          name: 'green',
          compute: {
            kind: 'vmTag',
            resourceGroupId: ids.resourceGroup(),
            tagName: 'slot',
            tagValue: 'green',
          },
        },
      ],
    });
    const a = app;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const list = a.world.deployer.listInstances.bind(a.world.deployer);
    const urgentSeen: number[] = [];
    a.world.deployer.listInstances = async (compute) => {
      if (compute.kind !== 'vmTag') return list(compute);
      urgentSeen.push(urgentFirst.urgent);
      await held;
      return list({ kind: 'vmss', resourceId: ids.scaleSet('vmss-green') });
    };
    const alert = a.alert('incident-1');
    await until(() => urgentFirst.urgent === 1, 'the alert hook running as urgent work');

    let answered = false;
    const hook = a.hook(101).then((answer) => ((answered = true), answer));
    await until(() => urgentFirst.held === 1, 'the delivery held');
    // Held before any work: no release, lane or receipt exists, nothing was answered.
    expect(a.host.list().map((s) => s.instanceId)).toEqual([]);
    expect(answered).toBe(false);

    release();
    expect((await alert).body.targets).toEqual([
      { target: 'web-prod', slots: [], acted: false, forwarded: false, reason: 'no release running' },
    ]);
    expect(await hook).toEqual({
      status: 202,
      body: { id: 'web-prod-b101', statusUrl: 'https://release.example.com/api/releases/web-prod-b101' },
    });
    expect(urgentSeen).toEqual([1]);
    expect({ urgent: urgentFirst.urgent, held: urgentFirst.held }).toEqual({ urgent: 0, held: 0 });
    await a.host.idle();
    expect((await a.release('web-prod-b101')).phase).toBe('awaiting-approval');
    expect(await a.hook(101)).toEqual({
      status: 202,
      body: {
        id: 'web-prod-b101',
        statusUrl: 'https://release.example.com/api/releases/web-prod-b101',
        duplicate: true,
      },
    });
    expect(a.host.list().filter((s) => s.name === 'Release')).toHaveLength(1);
  });

  it('with no alert in progress a delivery is not held', async () => {
    app = await startApp();
    expect(urgentFirst.urgent).toBe(0);
    const answer = await app.hook(102);
    expect(answer.status).toBe(202);
    expect(urgentFirst.held).toBe(0);
  });
});

describe('approval links /api/approvals/{id}/{decision}', () => {
  it('GET shows an HTML page that changes nothing, however often it is fetched', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    for (let i = 0; i < 3; i++) {
      const page = await fetch(`${app.host.url}${path}?token=${token}`).then(read);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('x-robots-tag')).toMatch(/noindex/);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*form-action 'self'/);
      expect(page.text).toContain(`<form method="post" action="/api/approvals/${RELEASE}/approve">`);
      expect(page.text).toContain(`<input type="hidden" name="token" value="${token}">`);
      expect(page.text).toContain('Opening this page changes nothing');
      expect(page.text).toContain('1.0.101');
    }
    const reject = linkParts(view.approval!.rejectUrl);
    const rejectPage = await fetch(`${app.host.url}${reject.path}?token=${reject.token}`).then(read);
    expect(rejectPage.status).toBe(200);
    expect(rejectPage.text).toContain('Rejecting ends the release');
    // A HEAD (some link checkers use it) is no decision either.
    await fetch(`${app.host.url}${path}?token=${token}`, { method: 'HEAD' });
    await expectStillAwaiting(app);
  });

  it('GET on a frozen target says who froze it, until when and why, and that approving is refused, as the POST does', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const frozen = await app.host
      .fetch('/api/targets/web-prod/freeze', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'incident 4711', until: '2026-01-01T18:00:00Z' }),
      })
      .then(read);
    expect(frozen.status).toBe(200);
    const { path, token } = linkParts(view.approval!.approveUrl);
    const page = await fetch(`${app.host.url}${path}?token=${token}`).then(read);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(
      /<strong>Target frozen:<\/strong> target &#39;web-prod&#39; is frozen by function key since [^ ]+ until 2026-01-01T18:00:00\.000Z: incident 4711\. Approving will be refused until it is unfrozen; a reject is still taken\./,
    );
    const post = await postJson(app, path, { token, approver: 'alice' });
    expectError(post, 409, 'target-frozen', /incident 4711/);

    await app.host.fetch('/api/targets/web-prod/unfreeze', { method: 'POST' });
    const after = await fetch(`${app.host.url}${path}?token=${token}`).then(read);
    expect(after.text).not.toContain('Target frozen');
  });

  it('GET with a signed-in principal shows who decides instead of asking; a spoofed header is not one', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    const cookie = await app.signIn('alice@contoso.com');
    const page = await fetch(`${app.host.url}${path}?token=${token}`, { headers: { cookie } }).then(read);
    expect(page.text).toContain('Deciding as <strong>alice@contoso.com</strong> (signed in)');
    expect(page.text).not.toContain('name="approver"');
    // A client's own x-ms-client-principal-name never reaches the app: the page asks for a name.
    const spoofed = await fetch(`${app.host.url}${path}?token=${token}`, {
      headers: { 'x-ms-client-principal-name': 'alice@contoso.com', 'x-ms-client-principal-idp': 'aad' },
    }).then(read);
    expect(spoofed.text).not.toContain('Deciding as');
    expect(spoofed.text).toContain('name="approver"');
    await expectStillAwaiting(app);
  });

  it('a tampered token (signature or payload) → 401: HTML page on GET, JSON on a JSON POST', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    const [payload, signature] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Json;
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...claims, e: (claims.e as number) + 86400 }),
    ).toString('base64url');
    const tampered = [
      `${payload}.${flipAt(signature, 5)}`,
      `${flipAt(payload, 3)}.${signature}`,
      `${forgedPayload}.${signature}`,
    ];
    for (const bad of tampered) {
      const page = await fetch(`${app.host.url}${path}?token=${bad}`).then(read);
      expect(page.status).toBe(401);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.text).toContain('This link cannot be used');
      expect(page.text).not.toContain('<form');

      const post = await postJson(app, `${path}?token=${bad}`, { approver: 'mallory' });
      expectError(post, 401, 'token-bad-signature', /not valid \(bad-signature\)/);
      const inBody = await postJson(app, path, { token: bad, approver: 'mallory' });
      expectError(inBody, 401, 'token-bad-signature');
    }
    expectError(
      await postJson(app, path, { token: 'garbage', approver: 'm' }),
      401,
      'token-malformed',
      /malformed/,
    );
    expectError(await postJson(app, path, { approver: 'm' }), 401, 'missing-token', /no token/);
    const noToken = await fetch(app.host.url + path).then(read);
    expect(noToken.status).toBe(401);
    expect(noToken.text).toContain('the approval link has no token');
    await expectStillAwaiting(app);
  });

  it('the real link after the approval timed out → 410, and the release stays Expired', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    await app.host.advance(3_600_000);
    expect(await app.release(RELEASE)).toMatchObject({ status: 'Expired' });
    expectError(await postJson(app, `${path}?token=${token}`, { approver: 'alice' }), 410, 'link-expired');
    const page = await fetch(`${app.host.url}${path}?token=${token}`).then(read);
    expect(page.status).toBe(410);
    expect(page.text).not.toContain('<form');
    await app.host.idle();
    expect(await app.release(RELEASE)).toMatchObject({
      status: 'Expired',
      approval: { decision: 'expired' },
    });
    expect(decisionsRaised(app, RELEASE)).toEqual([]);
    expect(app.world.writes).toEqual([]);
  });

  it('an oversized token → 401 malformed, before any other work', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    const long = `${token}${'A'.repeat(2100)}`;
    expectError(await postJson(app, path, { token: long, approver: 'alice' }), 401, 'token-malformed');
    await expectStillAwaiting(app);
  });

  it('an expired token → 410, on GET and POST', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    const claims = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Json;
    const expired = signApprovalToken(app.config.approvalSigningKey, {
      releaseId: RELEASE,
      decision: 'approve',
      nonce: claims.n as string,
      expiresAt: Math.floor(app.host.clock.now() / 1000) - 60,
    });
    const page = await fetch(`${app.host.url}${path}?token=${expired}`).then(read);
    expect(page.status).toBe(410);
    expect(page.text).toContain('this approval link has expired');
    expectError(
      await postJson(app, `${path}?token=${expired}`, { approver: 'alice' }),
      410,
      'link-expired',
      /expired/,
    );
    // Expiry is checked at the instant given: exactly at `e` the link is already dead.
    const atExpiry = signApprovalToken(app.config.approvalSigningKey, {
      releaseId: RELEASE,
      decision: 'approve',
      nonce: claims.n as string,
      expiresAt: Math.floor(app.host.clock.now() / 1000),
    });
    expectError(await postJson(app, `${path}?token=${atExpiry}`, { approver: 'alice' }), 410, 'link-expired');
    await expectStillAwaiting(app);
  });

  it('a token for another release, or for the other decision → 403', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const approve = linkParts(view.approval!.approveUrl);
    const reject = linkParts(view.approval!.rejectUrl);

    // The reject token on the approve URL, and the other way round.
    expectError(
      await postJson(app, `${approve.path}?token=${reject.token}`, { approver: 'alice' }),
      403,
      'token-mismatch',
      /not for approve of release 'web-prod-b101'/,
    );
    expectError(
      await postJson(app, `${reject.path}?token=${approve.token}`, { approver: 'alice' }),
      403,
      'token-mismatch',
    );
    const page = await fetch(`${app.host.url}${approve.path}?token=${reject.token}`).then(read);
    expect(page.status).toBe(403);
    expect(page.text).toContain('This link cannot be used');

    // This release's token on another release's URL, and a validly signed token for another release.
    expectError(
      await postJson(app, `/api/approvals/web-prod-b102/approve?token=${approve.token}`, {
        approver: 'alice',
      }),
      403,
      'token-mismatch',
      /web-prod-b102/,
    );
    const other = signApprovalToken(app.config.approvalSigningKey, {
      releaseId: 'web-prod-b999',
      decision: 'approve',
      nonce: 'n',
      expiresAt: Math.floor(app.host.clock.now() / 1000) + 3600,
    });
    expectError(
      await postJson(app, `${approve.path}?token=${other}`, { approver: 'alice' }),
      403,
      'token-mismatch',
    );
    // A token signed with some other key is no token of this app.
    const foreign = signApprovalToken('another-signing-key-0123456789abcdef0123', {
      releaseId: RELEASE,
      decision: 'approve',
      nonce: 'n',
      expiresAt: Math.floor(app.host.clock.now() / 1000) + 3600,
    });
    expectError(
      await postJson(app, `${approve.path}?token=${foreign}`, { approver: 'alice' }),
      401,
      'token-bad-signature',
    );
    await expectStillAwaiting(app);
  });

  it('an unknown decision → 400; a valid token of a release that does not exist → 404', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { token } = linkParts(view.approval!.approveUrl);
    expectError(
      await postJson(app, `/api/approvals/${RELEASE}/maybe?token=${token}`, { approver: 'alice' }),
      400,
      'bad-decision',
      /'approve' or 'reject', got 'maybe'/,
    );
    const ghost = signApprovalToken(app.config.approvalSigningKey, {
      releaseId: 'web-prod-b999',
      decision: 'approve',
      nonce: 'n',
      expiresAt: Math.floor(app.host.clock.now() / 1000) + 3600,
    });
    expectError(
      await postJson(app, `/api/approvals/web-prod-b999/approve?token=${ghost}`, { approver: 'alice' }),
      404,
      'not-found',
      /web-prod-b999/,
    );
    await expectStillAwaiting(app);
  });

  it('a replayed token → 409 already-decided; the release was approved once', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    const first = await postJson(app, `${path}?token=${token}`, { approver: 'alice' });
    expect(first.status).toBe(202);
    expect(first.json).toEqual({
      id: RELEASE,
      decision: 'approve',
      approver: 'alice',
      authenticated: false,
      statusUrl: `https://release.example.com/api/releases/${RELEASE}`,
    });
    await app.host.idle();

    const replay = await postJson(app, `${path}?token=${token}`, { approver: 'mallory' });
    expectError(replay, 409, 'already-decided', /no longer awaits this approval \(approved by alice\)/);
    // The reject link of the same round is dead too, and so is GET on either.
    const reject = linkParts(view.approval!.rejectUrl);
    expectError(
      await postJson(app, `${reject.path}?token=${reject.token}`, { approver: 'bob' }),
      409,
      'already-decided',
    );
    const page = await fetch(`${app.host.url}${path}?token=${token}`).then(read);
    expect(page.status).toBe(409);
    expect(page.text).not.toContain('<form');

    await app.host.idle();
    const after = await app.release(RELEASE);
    expect(after.approval).toMatchObject({ decision: 'approved', approver: 'alice' });
    expect(decisionsRaised(app, RELEASE)).toHaveLength(1);
    expect(app.world.writes).toEqual([
      { endpoint: 'green', enabled: true },
      { endpoint: 'blue', enabled: false },
    ]);
  });

  // Single use must hold before the release has processed the first decision, too: a double click, or two
  // people clicking approve and reject at the same moment, get one accepted decision and one refusal, never
  // two success answers of which one was silently dropped.
  it('the same link posted twice at once: one 202, one 409; approved once', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    const answers = await Promise.all([
      postJson(app, `${path}?token=${token}`, { approver: 'alice' }),
      postJson(app, `${path}?token=${token}`, { approver: 'mallory' }),
    ]);
    await app.host.idle();
    const final = await app.release(RELEASE);
    const accepted = answers.filter((a) => a.status === 202);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    expect(final.approval).toMatchObject({ decision: 'approved', approver: accepted[0]!.json.approver });
  });

  it('a replay right after the first answer (before the release processed it) → 409', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    const first = await postJson(app, `${path}?token=${token}`, { approver: 'alice' });
    const second = await postJson(app, `${path}?token=${token}`, { approver: 'mallory' });
    expect(first.status).toBe(202);
    expectError(second, 409, 'already-decided');
    await app.host.idle();
    expect((await app.release(RELEASE)).approval).toMatchObject({ decision: 'approved', approver: 'alice' });
  });

  it('approve and reject posted at once: exactly one is accepted, and it is what the release did', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const approve = linkParts(view.approval!.approveUrl);
    const reject = linkParts(view.approval!.rejectUrl);
    const [a, b] = await Promise.all([
      postJson(app, `${approve.path}?token=${approve.token}`, { approver: 'alice' }),
      postJson(app, `${reject.path}?token=${reject.token}`, { approver: 'bob' }),
    ]);
    await app.host.idle();
    const final = await app.release(RELEASE);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    const winner = a.status === 202 ? a : b;
    expect(final.approval).toMatchObject({
      decision: winner.json.decision === 'approve' ? 'approved' : 'rejected',
      approver: winner.json.approver,
    });
  });

  it('a form post from the page → 200 HTML result page, and the release is approved', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    const res = await fetch(app.host.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, approver: 'alice@contoso.com', comment: 'ship it' }).toString(),
    }).then(read);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text).toContain(
      `Release ${RELEASE} is approved by alice@contoso.com: traffic moves to green.`,
    );
    await app.host.idle();
    expect((await app.release(RELEASE)).approval).toMatchObject({
      decision: 'approved',
      approver: 'alice@contoso.com',
      comment: 'ship it',
    });
    expect(app.world.live()).toBe('green');

    // Posting the same form again shows a refusal page, still HTML, not JSON.
    const again = await fetch(app.host.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, approver: 'alice@contoso.com' }).toString(),
    }).then(read);
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(again.text).toContain('Not recorded');
  });

  it('a form post that rejects → 200 HTML, the release is Rejected and production untouched', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.rejectUrl);
    const res = await fetch(app.host.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, approver: 'bob' }).toString(),
    }).then(read);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`Release ${RELEASE} is rejected by bob: production stays on blue.`);
    await app.host.idle();
    expect(await app.release(RELEASE)).toMatchObject({ status: 'Rejected' });
    expect(app.world.writes).toEqual([]);
  });

  it('bad decision bodies → 4xx and nothing raised', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    const url = `${app.host.url}${path}?token=${token}`;
    const text = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'approve',
    }).then(read);
    expect(text.status).toBe(415);
    expect(text.text).toContain('application/x-www-form-urlencoded or application/json');
    expectError(
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"approver":',
      }).then(read),
      400,
      'invalid-json',
    );
    expectError(
      await postJson(app, `${path}?token=${token}`, { approver: 42 }),
      400,
      'invalid-payload',
      /"approver" must be a string/,
    );
    const big = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approver: 'alice', comment: 'x'.repeat(65 * 1024) }),
    }).then(read);
    expectError(big, 413, 'payload-too-large');
    const twice = await fetch(`${app.host.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${token}&token=${token}&approver=alice`,
    }).then(read);
    expect(twice.status).toBe(400);
    expect(twice.text).toContain('field &quot;token&quot; is given more than once');
    await expectStillAwaiting(app);
  });

  it('the signed-in principal wins over the supplied approver; a spoofed principal header is ignored', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    // Sent by the client, not by the platform: stripped by the host as by App Service, so the typed name counts.
    const spoofed = await postJson(app, `${path}?token=${token}&x=1`, { approver: 'mallory' }, {});
    expect(spoofed.status).toBe(202);
    expect(spoofed.json).toMatchObject({ approver: 'mallory', authenticated: false });
  });

  it('a signed-in principal is recorded as the approver, whatever name is typed', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    const cookie = await app.signIn('alice@contoso.com');
    const answer = await postJson(app, `${path}?token=${token}`, { approver: 'mallory' }, { cookie });
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ approver: 'alice@contoso.com', authenticated: true });
    await app.host.idle();
    expect((await app.release(RELEASE)).approval).toMatchObject({
      approver: 'alice@contoso.com',
      approvals: [expect.objectContaining({ by: 'alice@contoso.com', authenticated: true })],
    });
  });

  it('missing approver with no principal → 400 and nothing raised', async () => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { path, token } = linkParts(view.approval!.approveUrl);
    expectError(await postJson(app, `${path}?token=${token}`, {}), 400, 'approver-required', /approver/);
    expectError(await postJson(app, `${path}?token=${token}`, { approver: '   ' }), 400, 'approver-required');
    await expectStillAwaiting(app);
  });

  describe('with an approver allow-list', () => {
    const approvalPolicy = { approval: { timeoutSeconds: 3600, approvers: ['alice@contoso.com'] } };

    it('a typed name is refused, even one on the list; so is a spoofed principal header', async () => {
      app = await startApp(approvalPolicy);
      const view = await awaitingApproval(app);
      const { path, token } = linkParts(view.approval!.approveUrl);
      expectError(
        await postJson(app, `${path}?token=${token}`, { approver: 'alice@contoso.com' }),
        401,
        'sign-in-required',
        /target 'web-prod' names its approvers: .*never a typed name/,
      );
      expectError(
        await postJson(
          app,
          `${path}?token=${token}`,
          { approver: 'alice@contoso.com' },
          {
            'x-ms-client-principal-name': 'alice@contoso.com',
            'x-ms-client-principal-idp': 'aad',
            'x-ms-client-principal-id': '00000000-0000-0000-0000-000000000001',
            'x-ms-client-principal': Buffer.from(
              JSON.stringify({ auth_typ: 'aad', claims: [{ typ: 'name', val: 'alice@contoso.com' }] }),
            ).toString('base64'),
          },
        ),
        401,
        'sign-in-required',
      );
      expectError(await postJson(app, `${path}?token=${token}`, {}), 401, 'sign-in-required');
      await expectStillAwaiting(app);
    });

    it('a signed-in principal not on it → 403 and nothing raised, whatever name is typed', async () => {
      app = await startApp(approvalPolicy);
      const view = await awaitingApproval(app);
      const { path, token } = linkParts(view.approval!.approveUrl);
      const cookie = await app.signIn('bob@contoso.com');
      expectError(
        await postJson(app, `${path}?token=${token}`, { approver: 'alice@contoso.com' }, { cookie }),
        403,
        'not-an-approver',
        /bob@contoso\.com is not an approver of target 'web-prod'/,
      );
      await expectStillAwaiting(app);
    });

    it('a signed-in principal on it (case-insensitively) → decides', async () => {
      app = await startApp(approvalPolicy);
      const view = await awaitingApproval(app);
      const { path, token } = linkParts(view.approval!.approveUrl);
      const cookie = await app.signIn('Alice@Contoso.COM');
      const answer = await postJson(app, `${path}?token=${token}`, {}, { cookie });
      expect(answer.status).toBe(202);
      await app.host.idle();
      expect((await app.release(RELEASE)).approval).toMatchObject({
        decision: 'approved',
        approver: 'Alice@Contoso.COM',
      });
    });

    it('without App Service authentication nobody can decide, and the answer names WEBSITE_AUTH_ENABLED', async () => {
      app = await startApp(approvalPolicy, 3, { settings: { WEBSITE_AUTH_ENABLED: undefined } });
      const view = await awaitingApproval(app);
      const { path, token } = linkParts(view.approval!.approveUrl);
      const cookie = await app.signIn('alice@contoso.com');
      expectError(
        await postJson(app, `${path}?token=${token}`, {}, { cookie }),
        401,
        'sign-in-required',
        /WEBSITE_AUTH_ENABLED/,
      );
      await expectStillAwaiting(app);
    });
  });

  it('hostile build values are escaped on the approval and result pages', async () => {
    app = await startApp();
    const script = '<script>alert(1)</script>';
    // The build number is the deploy scripts' VERSION and cannot hold markup (see the hook's 400 tests);
    // the pipeline name is free text.
    const answer = await app.hook(101, {
      definition: { id: 42, name: script },
      sourceBranch: 'refs/heads/"><img src=x onerror=alert(2)>',
      requestedFor: { displayName: "O'Brien & <b>co</b>" },
    });
    expect(answer.status).toBe(202);
    await app.host.idle();
    const view = await withLinks(app, RELEASE);
    const { path, token } = linkParts(view.approval!.approveUrl);
    const page = await fetch(`${app.host.url}${path}?token=${token}`).then(read);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<script');
    expect(page.text).not.toContain('<img');
    expect(page.text).not.toContain('<b>co');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).toContain('refs/heads/&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page.text).toContain('O&#39;Brien &amp; &lt;b&gt;co&lt;/b&gt;');

    const result = await fetch(app.host.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, approver: '<svg onload=alert(3)>' }).toString(),
    }).then(read);
    expect(result.status).toBe(200);
    expect(result.text).not.toContain('<script');
    expect(result.text).not.toContain('<svg');
    expect(result.text).toContain('approved by &lt;svg onload=alert(3)&gt;');
  });
});

describe('targets API', () => {
  type Targets = { targets: Record<string, unknown>[] };
  const targets = async (a: AppHost) => {
    const answer = await a.host.fetch('/api/targets').then(read);
    expect(answer.status).toBe(200);
    return (answer.json as unknown as Targets).targets;
  };
  const slot = (name: string, id: number | null) => ({
    name,
    build: id === null ? null : expect.objectContaining({ id: String(id), number: `1.0.${id}` }),
    release: id === null ? null : `web-prod-b${id}`,
  });

  it('GET /api/targets: live slot from Traffic Manager, the build on each slot, the running release', async () => {
    app = await startApp();
    expect(await targets(app)).toEqual([
      {
        name: 'web-prod',
        liveSlot: 'blue',
        slots: [slot('blue', null), slot('green', null)],
        running: null,
        frozen: false,
        freeze: null,
      },
    ]);

    await awaitingApproval(app, 101);
    expect(await targets(app)).toEqual([
      {
        name: 'web-prod',
        liveSlot: 'blue',
        slots: [slot('blue', null), slot('green', 101)],
        running: {
          id: RELEASE,
          status: 'Running',
          phase: 'awaiting-approval',
          build: expect.objectContaining({ id: '101' }),
        },
        frozen: false,
        freeze: null,
      },
    ]);
    expect((await app.decide(RELEASE, 'approve', 'alice')).status).toBe(202);
    await app.host.idle();
    expect((await targets(app))[0]).toMatchObject({
      liveSlot: 'green',
      running: { id: RELEASE, phase: 'baking' },
    });
    await app.host.advance(600_000);
    const writes = app.world.writes.length;

    await awaitingApproval(app, 102);
    expect((await targets(app))[0]).toEqual({
      name: 'web-prod',
      liveSlot: 'green',
      slots: [slot('blue', 102), slot('green', 101)],
      running: expect.objectContaining({ id: 'web-prod-b102', phase: 'awaiting-approval' }),
      frozen: false,
      freeze: null,
    });
    // Reading is all it does.
    expect(app.world.writes).toHaveLength(writes);
  });

  it('GET /api/targets: a profile not in a blue/green state, or unreadable, shows no live slot and says why', async () => {
    app = await startApp();
    app.world.slots.forEach((s) => (s.enabled = true));
    expect((await targets(app))[0]).toMatchObject({
      liveSlot: null,
      liveSlotProblem: expect.stringMatching(/^both slot endpoints are enabled in \/subscriptions\//),
    });
    app.world.slots.forEach((s) => (s.enabled = false));
    expect((await targets(app))[0]).toMatchObject({
      liveSlot: null,
      liveSlotProblem: expect.stringMatching(/^no slot endpoint is enabled/),
    });
    app.world.traffic.readProfile = async () => {
      throw new Error('ARM 503 ServiceUnavailable');
    };
    expect((await targets(app))[0]).toMatchObject({
      liveSlot: null,
      liveSlotProblem: expect.stringContaining('ARM 503 ServiceUnavailable'),
    });
  });
});

describe('releases API', () => {
  it('GET /api/releases: bad status, limit, target, times or token → 400 naming the parameter', async () => {
    app = await startApp();
    const get = (query: string) => app!.host.fetch(`/api/releases${query}`).then(read);
    expectError(await get('?status=bogus'), 400, 'bad-status', /status must be one of .*Running.*RolledBack/);
    for (const limit of ['0', '501', '-1', '2.5', 'ten', '', '1e2']) {
      expectError(await get(`?limit=${limit}`), 400, 'bad-limit', /limit must be an integer from 1 to 500/);
    }
    expect((await get('?limit=500')).status).toBe(200);
    expectError(await get('?target=Web_Prod'), 400, 'bad-target', /target must be a target name/);
    for (const bad of ['yesterday', '2026-13-45', '2026-12-01T08:00', '1733040000', '']) {
      expectError(
        await get(`?createdFrom=${encodeURIComponent(bad)}`),
        400,
        'bad-time',
        /^createdFrom must be an ISO 8601 date/,
      );
    }
    expectError(await get('?createdTo=soon'), 400, 'bad-time', /^createdTo must be/);
    expectError(
      await get('?createdFrom=2026-12-02&createdTo=2026-12-01'),
      400,
      'bad-time',
      /createdFrom must not be after createdTo/,
    );
    expect((await get('?createdFrom=2026-01-01&createdTo=2026-01-01T10:00:00%2B01:00')).status).toBe(200);
    for (const token of ['', 'not a token', 'eyJ2IjoyfQ', Buffer.from('{"v":1}').toString('base64url')]) {
      expectError(
        await get(`?continuationToken=${encodeURIComponent(token)}`),
        400,
        'bad-continuation-token',
        /^continuationToken /,
      );
    }
    // A well-formed token the task hub never issued: refused by it, answered 400 all the same.
    const forged = Buffer.from(JSON.stringify({ v: 1, f: tokenFilters(), d: 'garbage' })).toString(
      'base64url',
    );
    expectError(
      await get(`?continuationToken=${forged}`),
      400,
      'bad-continuation-token',
      /refused by the task hub/,
    );
    expectNothingStarted(app);
  });

  it('GET /api/releases filters by target and status (case-insensitive) and honours limit', async () => {
    app = await startApp();
    await awaitingApproval(app, 101);
    expect((await app.decide(RELEASE, 'reject', 'bob')).status).toBe(202);
    await app.host.idle();
    await awaitingApproval(app, 102);

    const ids = async (query: string) => {
      const answer = await app!.host.fetch(`/api/releases${query}`).then(read);
      expect(answer.status).toBe(200);
      return (answer.json.releases as ReleaseView[]).map((r) => r.id);
    };
    expect((await ids('')).sort()).toEqual(['web-prod-b101', 'web-prod-b102']);
    expect((await ids('?target=web-prod')).sort()).toEqual(['web-prod-b101', 'web-prod-b102']);
    expect(await ids('?target=web-staging')).toEqual([]);
    expect(await ids('?status=Rejected')).toEqual(['web-prod-b101']);
    expect(await ids('?status=running')).toEqual(['web-prod-b102']);
    expect(await ids('?target=web-prod&status=Succeeded')).toEqual([]);
    expect(await ids('?limit=1')).toHaveLength(1);
  });

  it('GET /api/releases pages with limit and continuationToken: every release once, no page over limit', async () => {
    app = await startApp();
    for (const id of [101, 102, 103, 104, 105]) {
      await awaitingApproval(app, id);
      expect((await app.decide(`web-prod-b${id}`, 'reject', 'bob')).status).toBe(202);
      await app.host.idle();
    }
    const page = async (query: string) => {
      const answer = await app!.host.fetch(`/api/releases${query}`).then(read);
      expect(answer.status).toBe(200);
      return answer.json as { releases: ReleaseView[]; continuationToken?: string };
    };
    for (const limit of [1, 2, 3, 50]) {
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const next = await page(
          `?limit=${limit}${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`,
        );
        expect(next.releases.length).toBeLessThanOrEqual(limit);
        seen.push(...next.releases.map((r) => r.id));
        token = next.continuationToken;
        pages++;
      } while (token && pages < 50);
      expect(token).toBeUndefined();
      // In the task hub's order: a target's releases by release id.
      expect(seen).toEqual([
        'web-prod-b101',
        'web-prod-b102',
        'web-prod-b103',
        'web-prod-b104',
        'web-prod-b105',
      ]);
    }
    // A token belongs to the filters it was issued with.
    const first = await page('?limit=1&target=web-prod');
    expect(first.continuationToken).toEqual(expect.any(String));
    const other = await app.host
      .fetch(`/api/releases?limit=1&continuationToken=${encodeURIComponent(first.continuationToken!)}`)
      .then(read);
    expectError(other, 400, 'bad-continuation-token', /issued for other filters/);
    // The created-time range is the task hub's: all were created at the manual clock's start.
    const at = new Date(app.host.clock.now());
    expect((await page(`?createdFrom=${at.toISOString()}`)).releases).toHaveLength(5);
    const before = new Date(at.getTime() - 1).toISOString();
    expect((await page(`?createdTo=${before}`)).releases).toEqual([]);
    expect((await page(`?createdFrom=${before.slice(0, 10)}&status=Rejected`)).releases).toHaveLength(5);
  });

  it('builds queued behind a baking release answer Queued at their statusUrl and appear in the list', async () => {
    app = await startApp();
    await awaitingApproval(app, 101);
    expect((await app.decide(RELEASE, 'approve', 'alice')).status).toBe(202);
    await app.host.idle();
    expect((await app.release(RELEASE)).phase).toBe('baking');

    for (const id of [102, 103]) {
      const hook = await app.hook(id);
      expect(hook).toMatchObject({ status: 202, body: { id: `web-prod-b${id}`, behind: RELEASE } });
      // From the 202 on, before anything else runs.
      const status = await app.host.fetch(new URL(hook.body.statusUrl as string).pathname).then(read);
      expect(status.status).toBe(200);
      expect(status.json).toMatchObject({ id: `web-prod-b${id}`, status: 'Queued', phase: 'queued' });
    }
    await app.host.idle();
    const list = async (query: string) =>
      ((await app!.host.fetch(`/api/releases${query}`).then(read)).json.releases as ReleaseView[]).map(
        (r) => `${r.id} ${r.status}`,
      );
    expect(await list('')).toEqual(['web-prod-b101 Running', 'web-prod-b102 Queued', 'web-prod-b103 Queued']);
    expect(await list('?status=Queued')).toEqual(['web-prod-b102 Queued', 'web-prod-b103 Queued']);
    expect(await list('?status=queued&target=web-prod&limit=1')).toEqual(['web-prod-b102 Queued']);

    // The bake ends: the newest queued build runs, the older one ends Superseded by it.
    await app.host.advance(600_000);
    expect(await list('')).toEqual([
      'web-prod-b101 Succeeded',
      'web-prod-b102 Superseded',
      'web-prod-b103 Running',
    ]);
    expect((await app.release('web-prod-b102')).supersededBy).toBe('web-prod-b103');
    expect(await list('?status=Queued')).toEqual([]);
  });

  it('supersededBy names the build that ran, never one superseded while it queued', async () => {
    app = await startApp();
    // Build 101 verifies against a slot that is not healthy yet: it waits on a durable timer.
    app.world.healthOverride.set('green', { ok: false, status: 503 });
    expect((await app.hook(101)).status).toBe(202);
    await app.host.idle();
    expect((await app.release(RELEASE)).phase).toBe('verifying');
    // Two newer builds arrive meanwhile; 101 learns of 102 first and stops at once (issue 9), the lane keeps only
    // 103. 101's final notification is held, so 101 still runs when 103 arrives.
    let notified!: () => void;
    const held = new Promise<void>((resolve) => (notified = resolve));
    const notify = app.world.notifier.notify;
    app.world.notifier.notify = async (kind, release) => {
      if (release.id === RELEASE) await held;
      return notify(kind, release);
    };
    for (const id of [102, 103]) {
      expect((await app.hook(id)).body).toMatchObject({ behind: RELEASE });
    }
    notified();
    await app.host.idle();
    app.world.healthOverride.delete('green');
    await app.host.advance(5_000);
    await app.host.advance(10_000);

    // The release itself recorded the first newer build it heard of, which never ran.
    const stored = app.host.list().find((s) => s.instanceId === RELEASE)!;
    expect((stored.output as ReleaseView).supersededBy).toBe('web-prod-b102');
    const superseded = await app.release(RELEASE);
    expect(superseded).toMatchObject({ status: 'Superseded' });
    expect(superseded.supersededBy).toBe('web-prod-b103');
    expect(await app.release('web-prod-b102')).toMatchObject({
      status: 'Superseded',
      supersededBy: 'web-prod-b103',
    });
    const listed = (await app.host.fetch('/api/releases').then(read)).json.releases as ReleaseView[];
    expect(listed.map((r) => [r.id, r.status, r.supersededBy ?? null])).toEqual([
      ['web-prod-b101', 'Superseded', 'web-prod-b103'],
      ['web-prod-b102', 'Superseded', 'web-prod-b103'],
      ['web-prod-b103', 'Running', null],
    ]);
  });

  it('GET /api/releases/{id} of an unknown id → 404 JSON; a lane id is no release id → 400', async () => {
    app = await startApp();
    await awaitingApproval(app);
    expectError(
      await app.host.fetch('/api/releases/web-prod-b999').then(read),
      404,
      'not-found',
      /web-prod-b999/,
    );
    expectError(await app.host.fetch('/api/releases/lane-web-prod').then(read), 400, 'invalid-release-id');
  });

  // Ids with `?` or `#` once went unencoded into the Durable API: one answered 503, others another
  // release's document. Every route refuses what is not a generated id, before any Durable call.
  it.each([
    ['%3F', `${RELEASE}%3Fx=1`],
    ['%23', `${RELEASE}%23frag`],
    ['%2F', `${RELEASE}%2F..%2Flane-web-prod`],
    ['a space', `${RELEASE}%20`],
    ['a lane id', 'lane-web-prod'],
    ['upper-case target', 'WEB-prod-b101'],
    ['an overlong build id', `web-prod-b${'1'.repeat(65)}`],
  ])('an id with %s → 400 invalid-release-id at every route; nothing raised', async (_what, id) => {
    app = await startApp();
    const view = await awaitingApproval(app);
    const { token } = linkParts(view.approval!.approveUrl);
    const answers = [
      await app.host.fetch(`/api/releases/${id}`).then(read),
      await app.host.fetch(`/api/releases/${id}/rollback`, { method: 'POST' }).then(read),
      await postKeyed(app, `/api/releases/${id}/cancel`, { reason: 'r' }),
      await postKeyed(app, `/api/releases/${id}/rerun`, { reason: 'r' }),
      await postJson(app, `/api/approvals/${id}/approve?token=${token}`, { approver: 'alice' }),
    ];
    for (const answer of answers) expectError(answer, 400, 'invalid-release-id', /<target>-b<build id>/);
    const page = await app.host.fetch(`/api/approvals/${id}/approve?token=${token}`).then(read);
    expect(page.status).toBe(400);
    expect(page.text).toContain('&lt;target&gt;-b&lt;build id&gt;');
    await expectStillAwaiting(app);
  });

  it('POST /api/releases/{id}/rollback: unknown id → 404, awaiting approval → 409, nothing swapped', async () => {
    app = await startApp();
    const unknown = await app.host
      .fetch('/api/releases/web-prod-b999/rollback', { method: 'POST' })
      .then(read);
    expectError(unknown, 404, 'not-found', /web-prod-b999/);
    expectNothingStarted(app);

    await awaitingApproval(app);
    const early = await app.host
      .fetch(`/api/releases/${RELEASE}/rollback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ requestedBy: 'ops', reason: 'nervous' }),
      })
      .then(read);
    expectError(early, 409, 'not-rollbackable', /awaiting-approval: traffic has not moved/);
    const badBody = await app.host
      .fetch(`/api/releases/${RELEASE}/rollback`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'please',
      })
      .then(read);
    expectError(badBody, 415, 'unsupported-media-type');
    await expectStillAwaiting(app);
    expect(
      app.host
        .list()
        .map((s) => s.instanceId)
        .sort(),
    ).toEqual(['lane-web-prod', RELEASE, `${RELEASE}:accepted`]);

    expect((await app.decide(RELEASE, 'reject', 'bob')).status).toBe(202);
    await app.host.idle();
    const ended = await app.host.fetch(`/api/releases/${RELEASE}/rollback`, { method: 'POST' }).then(read);
    expectError(ended, 409, 'not-rollbackable', /ended Rejected before its swap: production was never moved/);
    await app.host.idle();
    expect(app.world.writes).toEqual([]);
    expect(app.host.list().some((s) => s.instanceId.endsWith('-rollback'))).toBe(false);
  });
});

describe('cancel and re-run: bad input changes nothing', () => {
  it.each(['cancel', 'rerun'])(
    'POST /api/releases/{id}/%s: no reason, a blank one, a non-string → 400; unknown id → 404',
    async (action) => {
      app = await startApp();
      await awaitingApproval(app);
      const path = `/api/releases/${RELEASE}/${action}`;
      expectError(await postKeyed(app, path, {}), 400, 'reason-required', /needs a reason/);
      expectError(await postKeyed(app, path, { reason: '   ' }), 400, 'reason-required');
      expectError(
        await postKeyed(app, path, { reason: 5 }),
        400,
        'invalid-payload',
        /"reason" must be a string/,
      );
      const noBody = await app.host.fetch(path, { method: 'POST' }).then(read);
      expect(noBody.status).toBeGreaterThanOrEqual(400);
      expect(noBody.status).toBeLessThan(500);
      expectError(
        await postKeyed(app, `/api/releases/web-prod-b999/${action}`, { reason: 'r' }),
        404,
        'not-found',
        /web-prod-b999/,
      );
      await expectStillAwaiting(app);
      expect(
        app.host.list().some((s) => s.instanceId.endsWith(':cancel') || /-r\d+$/.test(s.instanceId)),
      ).toBe(false);
    },
  );

  it('POST /api/releases/{id}/rerun: force must be a boolean', async () => {
    app = await startApp();
    await awaitingApproval(app);
    const answer = await postKeyed(app, `/api/releases/${RELEASE}/rerun`, { reason: 'r', force: 'yes' });
    expectError(answer, 400, 'bad-force', /force must be true or false/);
  });
});

describe('invalid configuration', () => {
  let host: TestHost;
  const problem = new ValidationError(
    [{ path: 'RELEASE_TARGETS[0].profileId', message: 'required' }],
    'configuration',
  );
  beforeAll(async () => {
    host = await createTestHost({
      register: () =>
        registerApp(() => {
          throw problem;
        }),
    });
  });
  afterAll(async () => {
    await host.close();
  });

  const send = (method: string, path: string, body: string | null) =>
    host
      .fetch(path, {
        method,
        headers: {
          'content-type': 'application/json',
          authorization: basicAuthHeader('azure-devops', 'whatever-secret'),
        },
        body,
      })
      .then(read);

  it.each([
    ['GET', `/api/approvals/${RELEASE}/approve?token=x.y`, null],
    ['POST', `/api/approvals/${RELEASE}/approve?token=x.y`, JSON.stringify({ approver: 'alice' })],
  ])(
    '%s %s (anonymous) → 503 configuration-invalid without the configuration details',
    async (method, path, body) => {
      const answer = await send(method, path, body);
      expectError(answer, 503, 'configuration-invalid', /configuration is invalid; see its logs/);
      expect(answer.text).not.toContain('RELEASE_TARGETS');
      expect(host.list()).toEqual([]);
    },
  );

  it.each([
    ['POST', HOOK, JSON.stringify(aBuildCompletePayload())],
    ['POST', ALERTS, JSON.stringify(aCommonAlertPayload())],
    ['GET', '/api/releases', null],
    ['GET', `/api/releases/${RELEASE}`, null],
    ['POST', `/api/releases/${RELEASE}/rollback`, null],
    ['POST', `/api/releases/${RELEASE}/cancel`, '{"reason":"x"}'],
    ['POST', `/api/releases/${RELEASE}/rerun`, '{"reason":"x"}'],
    ['GET', '/api/targets', null],
  ])('%s %s → 503 configuration-invalid naming the problem, never 500 or 404', async (method, path, body) => {
    const answer = await host
      .fetch(path, {
        method,
        headers: {
          'content-type': 'application/json',
          authorization: basicAuthHeader('azure-devops', 'whatever-secret'),
        },
        body,
      })
      .then(read);
    expectError(answer, 503, 'configuration-invalid', /RELEASE_TARGETS\[0\]\.profileId: required/);
    expect(host.list()).toEqual([]);
  });
});
