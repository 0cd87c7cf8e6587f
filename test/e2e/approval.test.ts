/**
 * Happy path, approval through the HTML page, and rejection, on one local stack: each release runs the
 * real deploy script on the staging slot's instances through the ARM stand-in's managed run commands.
 */
import { localTarget } from '../../local/stack';
import type { ReleaseView } from '../../src/core/domain';
import { endpointWrites, lastSeq, releaseIdOf, runCommandPuts, useE2e } from './support';

jest.setTimeout(90_000);

const e2e = useE2e({
  network: 20,
  targetOverrides: { bakeSeconds: 3, health: { intervalSeconds: 1 } },
});

const awaiting = (v: { phase: string }): boolean => v.phase === 'awaiting-approval';
const done = (v: { phase: string }): boolean => v.phase === 'done';

describe('approval flows on the local stack', () => {
  it('happy path: hook → deploy green → verify → approve by link → swap → bake → Succeeded', async () => {
    expect(e2e.enabled()).toEqual(['blue']);
    expect(await e2e.servedVersion('blue')).toBe('1.0.0');
    const since = lastSeq(e2e.stack);

    const hook = await e2e.hook({ id: 2001, number: '2.0.1' });
    expect(hook.status).toBe(202);
    const id = releaseIdOf(2001);
    expect(hook.body).toMatchObject({ id, statusUrl: `${e2e.stack.hostUrl}/api/releases/${id}` });

    let view = await e2e.waitFor(id, (v) => awaiting(v) || done(v), 60_000);
    expect(view).toMatchObject({
      status: 'Running',
      phase: 'awaiting-approval',
      productionSlot: 'blue',
      stagingSlot: 'green',
      build: { id: '2001', number: '2.0.1' },
      verify: { ok: true, version: '2.0.1' },
      deploy: { failed: 0 },
    });
    expect(view.deploy!.instances.map((i) => [i.instance, i.exitCode]).sort()).toEqual([
      ['vmss-webapp-green_0', 0],
      ['vmss-webapp-green_1', 0],
      ['vmss-webapp-green_2', 0],
    ]);
    // The status API shows that approval is pending, never the live links: those went to the notifier.
    expect(view.approval).toMatchObject({
      required: true,
      pending: true,
      minApprovers: 1,
      needed: 1,
      approvals: [],
    });
    expect(view.approval).not.toHaveProperty('approveUrl');
    expect(JSON.stringify(await e2e.call(`/api/releases`))).not.toContain('token=');
    expect((await e2e.links(view)).approveUrl).toMatch(
      new RegExp(`^${e2e.stack.hostUrl}/api/approvals/${id}/approve\\?token=`),
    );
    // Staging carries the build, production is untouched until the approval.
    expect(await e2e.servedVersion('green')).toBe('2.0.1');
    expect(await e2e.servedVersion('blue')).toBe('1.0.0');
    expect(e2e.enabled()).toEqual(['blue']);
    expect(runCommandPuts(e2e.stack, since)).toEqual({
      'vmss-webapp-green_0': 1,
      'vmss-webapp-green_1': 1,
      'vmss-webapp-green_2': 1,
    });

    const decision = await e2e.decide(view, 'approve', 'alice@example.com');
    expect(decision.status).toBe(202);
    expect(decision.body).toMatchObject({ id, decision: 'approve', approver: 'alice@example.com' });

    view = await e2e.waitFor(id, (v) => v.phase === 'baking' || done(v), 30_000);
    expect(view).toMatchObject({ phase: 'baking', liveSlot: 'green' });
    expect(e2e.enabled()).toEqual(['green']);

    view = await e2e.waitFor(id, done, 30_000);
    expect(view).toMatchObject({
      status: 'Succeeded',
      liveSlot: 'green',
      approval: { decision: 'approved', approver: 'alice@example.com' },
    });
    expect(view.timeline.map((t) => t.step)).toEqual([
      'resolve-slots',
      'list-instances',
      'deploy',
      'verify',
      'approval',
      'swap',
      'bake',
    ]);
    expect(view.timeline.every((t) => t.outcome === 'ok')).toBe(true);
    console.log(
      `happy path step durations: ${view.timeline.map((t) => `${t.step} ${t.durationMs} ms`).join(', ')}`,
    );

    // Green now takes the traffic, blue is kept (disabled) on the old version for a rollback.
    const profile = e2e.stack.arm.control.profile();
    expect(
      Object.fromEntries(profile.properties.endpoints.map((ep) => [ep.name, ep.properties.endpointStatus])),
    ).toEqual({ blue: 'Disabled', green: 'Enabled' });
    expect(await e2e.servedVersion('green')).toBe('2.0.1');
    expect(await e2e.servedVersion('blue')).toBe('1.0.0');
    // The guarded swap: enable staging first, then disable production; never zero enabled.
    expect(endpointWrites(e2e.stack, since)).toEqual([
      ['green', 'Enabled'],
      ['blue', 'Disabled'],
    ]);
  });

  it('approval by link: the GET shows a form (and decides nothing), its POST approves', async () => {
    const since = lastSeq(e2e.stack);
    expect((await e2e.hook({ id: 2002, number: '2.0.2' })).status).toBe(202);
    const id = releaseIdOf(2002);
    let view = await e2e.waitFor(id, (v) => awaiting(v) || done(v), 60_000);
    // Green is live now, so this release deploys onto blue.
    expect(view).toMatchObject({ phase: 'awaiting-approval', productionSlot: 'green', stagingSlot: 'blue' });

    const links = await e2e.links(view);
    const page = await fetch(links.approveUrl, { signal: AbortSignal.timeout(10_000) });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    const token = /<input type="hidden" name="token" value="([^"]+)"/.exec(html)?.[1];
    expect(action).toBe(`/api/approvals/${id}/approve`);
    expect(token).toBe(new URL(links.approveUrl).searchParams.get('token'));
    // Opening the link (or a mail scanner fetching it) changes nothing.
    expect((await e2e.release(id)).phase).toBe('awaiting-approval');

    const submit = await fetch(`${e2e.stack.hostUrl}${action!.replace(/&amp;/g, '&')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: token!,
        approver: 'bob@example.com',
        comment: 'looks good',
      }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    expect(submit.status).toBe(200);
    expect(await submit.text()).toContain('Approved');

    view = await e2e.waitFor(id, done, 60_000);
    expect(view).toMatchObject({
      status: 'Succeeded',
      liveSlot: 'blue',
      approval: { decision: 'approved', approver: 'bob@example.com', comment: 'looks good' },
    });
    expect(e2e.enabled()).toEqual(['blue']);
    expect(await e2e.servedVersion('blue')).toBe('2.0.2');
    expect(await e2e.servedVersion('green')).toBe('2.0.1');
    expect(endpointWrites(e2e.stack, since)).toEqual([
      ['blue', 'Enabled'],
      ['green', 'Disabled'],
    ]);

    // The link is single-use: the same form again is refused.
    const again = await fetch(`${e2e.stack.hostUrl}${action!}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: token!, approver: 'bob@example.com' }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    expect(again.status).toBeGreaterThanOrEqual(400);
  });

  it('rejection: Rejected, who rejected is recorded, the profile is unchanged', async () => {
    const since = lastSeq(e2e.stack);
    expect((await e2e.hook({ id: 2003, number: '2.0.3' })).status).toBe(202);
    const id = releaseIdOf(2003);
    let view = await e2e.waitFor(id, (v) => awaiting(v) || done(v), 60_000);
    expect(view).toMatchObject({ phase: 'awaiting-approval', stagingSlot: 'green' });

    const decision = await e2e.decide(view, 'reject', 'carol@example.com');
    expect(decision.status).toBe(202);
    view = await e2e.waitFor(id, done, 30_000);
    expect(view).toMatchObject({
      status: 'Rejected',
      liveSlot: 'blue',
      approval: { decision: 'rejected', approver: 'carol@example.com' },
    });
    expect(e2e.enabled()).toEqual(['blue']);
    expect(endpointWrites(e2e.stack, since)).toEqual([]);
    // Production keeps serving the approved build; the rejected one stays on staging only.
    expect(await e2e.servedVersion('blue')).toBe('2.0.2');
    expect(await e2e.servedVersion('green')).toBe('2.0.3');
  });

  it('manual rollback of the last success is refused once a later release deployed over its previous slot', async () => {
    const since = lastSeq(e2e.stack);
    // 2002 succeeded on blue; the rejected 2003 then deployed onto green, the slot a rollback would enable.
    const res = await e2e.call(`/api/releases/${releaseIdOf(2002)}/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestedBy: 'dave@example.com', reason: 'checking the guard' }),
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: 'superseded' } });
    expect(await e2e.release(releaseIdOf(2002))).toMatchObject({ status: 'Succeeded', liveSlot: 'blue' });
    expect(e2e.enabled()).toEqual(['blue']);
    expect(endpointWrites(e2e.stack, since)).toEqual([]);
  });

  describe('approvals tied to a person (target with approval.approvers, a quorum of 2)', () => {
    /** Signs in on the local host's development sign-in (App Service authentication's stand-in): the Cookie. */
    async function signIn(name: string): Promise<string> {
      const res = await fetch(`${e2e.stack.hostUrl}/.auth/login/aad`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name, post_login_redirect_uri: '/.auth/me' }).toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(302);
      return res.headers.get('set-cookie')!.split(';')[0]!;
    }
    const post = async (url: string, headers: Record<string, string>, body: Record<string, unknown> = {}) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    it('typed and spoofed names are refused; two signed-in approvers swap; a rollback records its reason', async () => {
      // The same stack, its target now naming its approvers (the host restarts with the new RELEASE_TARGETS).
      e2e.stack.appEnv.RELEASE_TARGETS = JSON.stringify([
        localTarget(e2e.stack.fleet, {
          bakeSeconds: 3,
          health: { intervalSeconds: 1 },
          approval: {
            required: true,
            timeoutSeconds: 3600,
            approvers: ['alice@example.com', 'bob@example.com'],
            minApprovers: 2,
          },
        }),
      ]);
      await e2e.stack.killHost();
      await e2e.stack.startHost();

      expect((await e2e.hook({ id: 2004, number: '2.0.4' })).status).toBe(202);
      const id = releaseIdOf(2004);
      let view: ReleaseView = await e2e.waitFor(id, (v) => awaiting(v) || done(v), 60_000);
      expect(view.approval).toMatchObject({
        pending: true,
        approvers: ['alice@example.com', 'bob@example.com'],
        minApprovers: 2,
        needed: 2,
        approvals: [],
      });
      expect(view.approval).not.toHaveProperty('approveUrl');
      const { approveUrl } = await e2e.links(view);

      // A typed name, even one on the list, and a client's own principal headers: refused, nothing decided.
      const typed = await post(approveUrl, {}, { approver: 'alice@example.com' });
      expect(typed).toMatchObject({ status: 401, body: { error: { code: 'sign-in-required' } } });
      const spoofed = await post(approveUrl, {
        'x-ms-client-principal-name': 'alice@example.com',
        'x-ms-client-principal-idp': 'aad',
      });
      expect(spoofed).toMatchObject({ status: 401, body: { error: { code: 'sign-in-required' } } });

      // Alice signs in and opens the link: the page knows her and shows the quorum.
      const alice = await signIn('alice@example.com');
      const page = await fetch(approveUrl, { headers: { cookie: alice } }).then((r) => r.text());
      expect(page).toContain('Deciding as <strong>alice@example.com</strong> (signed in)');
      expect(page).toContain('Approvals: 0 of 2');
      const first = await post(approveUrl, { cookie: alice }, { comment: 'staging ok' });
      expect(first).toMatchObject({
        status: 202,
        body: { approver: 'alice@example.com', counted: true, needed: 1 },
      });
      view = await e2e.release(id);
      expect(view).toMatchObject({ phase: 'awaiting-approval', approval: { needed: 1 } });
      expect(view.approval!.approvals!.map((v) => v.by)).toEqual(['alice@example.com']);
      expect(e2e.enabled()).toEqual(['blue']);

      // Bob decides from the console's way: no link, his identity from the platform headers, same origin.
      const bob = await signIn('bob@example.com');
      const second = await post(`${e2e.stack.hostUrl}/api/approvals/${id}/approve`, {
        cookie: bob,
        origin: e2e.stack.hostUrl,
      });
      expect(second).toMatchObject({
        status: 202,
        body: { approver: 'bob@example.com', authenticated: true },
      });
      view = await e2e.waitFor(id, done, 60_000);
      expect(view).toMatchObject({
        status: 'Succeeded',
        liveSlot: 'green',
        approval: { decision: 'approved', approver: 'alice@example.com, bob@example.com' },
      });
      expect(e2e.enabled()).toEqual(['green']);

      // A manual rollback after success: who (the signed-in principal) and why are recorded and notified.
      const rollback = await e2e.call(`/api/releases/${id}/rollback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: bob },
        body: JSON.stringify({ reason: 'checkout errors' }),
      });
      expect(rollback.status).toBe(202);
      view = await e2e.waitFor(id, (v) => v.status === 'RolledBack', 60_000);
      expect(view.rollback).toMatchObject({
        trigger: 'manual',
        requestedBy: 'bob@example.com',
        reason: 'checkout errors',
      });
      expect(e2e.enabled()).toEqual(['blue']);
      const deadline = Date.now() + 15_000;
      let notice: { release: { rollback?: { reason?: string } } } | undefined;
      while (!notice && Date.now() < deadline) {
        notice = (
          e2e.stack.fleet.notifications() as {
            kind: string;
            release: { id: string; rollback?: { reason?: string } };
          }[]
        )
          .filter((n) => n.kind === 'rolled-back' && n.release.id === id)
          .at(-1);
        if (!notice) await new Promise((r) => setTimeout(r, 100));
      }
      expect(notice?.release.rollback).toMatchObject({ reason: 'checkout errors' });
    });
  });
});
