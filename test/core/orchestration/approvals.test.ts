/**
 * Approvals tied to a person, through the durable-functions replay engine and the app's real HTTP endpoints:
 * signed-in approvers on the target's list, a quorum of distinct approvers, no self-approval, decisions without a
 * link for a signed-in approver (the console's way), and the orchestration's own check of every decision it gets.
 */
import { Events } from '../../../src/core/names';
import type { ReleaseView } from '../../../src/core/domain';
import type { ApprovalDecisionEvent } from '../../../src/core/orchestration/contracts';
import { startApp, type AppHost } from '../../support/appHost';

let app: AppHost;
afterEach(async () => {
  await app?.close();
});

const RELEASE = 'web-prod-b101';
const APPROVERS = ['alice@contoso.com', 'bob@contoso.com', 'carol@contoso.com', 'jack@fabrikam.com'];
const quorum = (extra: Record<string, unknown> = {}) => ({
  approval: { timeoutSeconds: 3600, approvers: APPROVERS, minApprovers: 2, ...extra },
});

type Answer = { status: number; json: Record<string, unknown> };

async function awaiting(): Promise<ReleaseView> {
  expect((await app.hook(101)).status).toBe(202);
  await app.host.idle();
  const view = await app.release(RELEASE);
  expect(view.phase).toBe('awaiting-approval');
  return view;
}

/** POSTs a decision as a signed-in person (cookie), through the notified link or without one. */
async function decideAs(
  cookie: string | undefined,
  decision: 'approve' | 'reject',
  opts: { link?: boolean; headers?: Record<string, string>; body?: Record<string, unknown> } = {},
): Promise<Answer> {
  let path = `/api/approvals/${RELEASE}/${decision}`;
  if (opts.link ?? true) {
    const links = await app.links(RELEASE);
    const url = new URL(decision === 'approve' ? links.approveUrl : links.rejectUrl);
    path = url.pathname + url.search;
  }
  const res = await fetch(`${app.host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}), ...opts.headers },
    body: JSON.stringify(opts.body ?? {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const code = (a: Answer) => (a.json.error as { code?: string } | undefined)?.code;

describe('a quorum of distinct signed-in approvers', () => {
  it('counts one approval per approver; the second distinct approver swaps; the status shows the progress', async () => {
    app = await startApp(quorum());
    let view = await awaiting();
    expect(view.approval).toEqual({
      required: true,
      pending: true,
      round: expect.any(String),
      expiresAt: expect.any(String),
      approvers: APPROVERS,
      minApprovers: 2,
      allowSelfApproval: false,
      approvals: [],
      needed: 2,
    });
    const alice = await app.signIn('alice@contoso.com');
    const first = await decideAs(alice, 'approve', { body: { comment: 'staging looks fine' } });
    expect(first).toMatchObject({
      status: 202,
      json: { approver: 'alice@contoso.com', counted: true, needed: 1 },
    });
    await app.host.idle();
    view = await app.release(RELEASE);
    expect(view).toMatchObject({ status: 'Running', phase: 'awaiting-approval' });
    expect(view.approval).toMatchObject({
      pending: true,
      needed: 1,
      approvals: [{ by: 'alice@contoso.com', authenticated: true, comment: 'staging looks fine' }],
    });
    expect(app.world.writes).toEqual([]);

    // The approval page shows who approved so far and what is still needed.
    const links = await app.links(RELEASE);
    const page = await fetch(
      `${app.host.url}${new URL(links.approveUrl).pathname}${new URL(links.approveUrl).search}`,
      {
        headers: { cookie: await app.signIn('bob@contoso.com') },
      },
    ).then((r) => r.text());
    expect(page).toContain('Approvals: 1 of 2');
    expect(page).toContain('<strong>alice@contoso.com</strong> approved at');
    expect(page).toContain('<strong>Still needed:</strong> 1 more approval(s)');
    expect(page).toContain('Deciding as <strong>bob@contoso.com</strong>');

    // The same person again, under another spelling: not a second approver.
    const again = await decideAs(await app.signIn('ALICE@contoso.com'), 'approve');
    expect(again.status).toBe(409);
    expect(code(again)).toBe('already-approved');
    const alicePage = await fetch(
      `${app.host.url}${new URL(links.approveUrl).pathname}${new URL(links.approveUrl).search}`,
      { headers: { cookie: alice } },
    ).then((r) => r.text());
    expect(alicePage).toContain('You (alice@contoso.com) approved at');
    expect(alicePage).not.toContain('<form');

    const second = await decideAs(await app.signIn('bob@contoso.com'), 'approve');
    expect(second).toMatchObject({ status: 202, json: { approver: 'bob@contoso.com' } });
    expect(second.json).not.toHaveProperty('counted');
    await app.host.idle();
    view = await app.release(RELEASE);
    expect(view).toMatchObject({ phase: 'baking', liveSlot: 'green' });
    expect(view.approval).toMatchObject({
      decision: 'approved',
      approver: 'alice@contoso.com, bob@contoso.com',
      approvals: [{ by: 'alice@contoso.com' }, { by: 'bob@contoso.com' }],
    });
    expect(view.approval).not.toHaveProperty('pending');
    expect(view.timeline.find((t) => t.step === 'approval')?.detail).toBe(
      'approved by alice@contoso.com, bob@contoso.com',
    );
  });

  it('one reject by an approver ends the release, approvals so far kept in the record', async () => {
    app = await startApp(quorum());
    await awaiting();
    expect((await decideAs(await app.signIn('alice@contoso.com'), 'approve')).status).toBe(202);
    const no = await decideAs(await app.signIn('carol@contoso.com'), 'reject', {
      body: { comment: 'not today' },
    });
    expect(no).toMatchObject({ status: 202, json: { decision: 'reject', approver: 'carol@contoso.com' } });
    await app.host.idle();
    expect(await app.release(RELEASE)).toMatchObject({
      status: 'Rejected',
      approval: {
        decision: 'rejected',
        approver: 'carol@contoso.com',
        comment: 'not today',
        approvals: [{ by: 'alice@contoso.com' }],
      },
    });
    expect(app.world.writes).toEqual([]);
  });

  it('the requester may not approve their own build; they may reject it; allowSelfApproval lets them', async () => {
    app = await startApp(quorum());
    await awaiting();
    // jack@fabrikam.com requested build 101 (Azure DevOps requestedFor.uniqueName) and is an approver.
    const jack = await app.signIn('jack@fabrikam.com');
    const self = await decideAs(jack, 'approve');
    expect(self.status).toBe(403);
    expect(code(self)).toBe('self-approval');
    expect((self.json.error as { message: string }).message).toMatch(
      /jack@fabrikam\.com requested this build and may not approve it \(approval\.allowSelfApproval is false on target 'web-prod'\)/,
    );
    const page = await fetch(
      `${app.host.url}${new URL((await app.links(RELEASE)).approveUrl).pathname}${new URL((await app.links(RELEASE)).approveUrl).search}`,
      { headers: { cookie: jack } },
    ).then((r) => r.text());
    expect(page).toContain('requested this build and may not approve it');
    expect(page).not.toContain('<form');
    await app.host.idle();
    expect((await app.release(RELEASE)).approval).toMatchObject({ pending: true, approvals: [] });
    expect(app.host.history(RELEASE).filter((e) => e.Name === Events.ApprovalDecision)).toEqual([]);
    expect((await decideAs(jack, 'reject')).status).toBe(202);
    await app.host.idle();
    expect(await app.release(RELEASE)).toMatchObject({
      status: 'Rejected',
      approval: { approver: 'jack@fabrikam.com' },
    });

    await app.close();
    app = await startApp(quorum({ allowSelfApproval: true, minApprovers: 1 }));
    await awaiting();
    expect((await decideAs(await app.signIn('jack@fabrikam.com'), 'approve')).status).toBe(202);
    await app.host.idle();
    expect((await app.release(RELEASE)).phase).toBe('baking');
  });

  it('a self-approval on a target without approvers is refused by the typed name too', async () => {
    app = await startApp();
    await awaiting();
    const typed = await app.decide(RELEASE, 'approve', 'Jack Fabrikam');
    expect(typed.status).toBe(403);
    expect(((await typed.json()) as { error: { code: string } }).error.code).toBe('self-approval');
  });

  it('the orchestration itself never counts a decision that got past the API (raised directly)', async () => {
    app = await startApp(quorum({ minApprovers: 1 }));
    const view = await awaiting();
    const base: Omit<ApprovalDecisionEvent, 'requestId' | 'approver'> = {
      decision: 'approve',
      round: view.approval!.round!,
      at: new Date(app.host.clock.now()).toISOString(),
    };
    // A typed name on the list, an approver's own build, someone not on the list: none counts.
    app.host.raiseEvent(RELEASE, Events.ApprovalDecision, {
      ...base,
      requestId: 'r1',
      approver: 'alice@contoso.com',
    });
    app.host.raiseEvent(RELEASE, Events.ApprovalDecision, {
      ...base,
      requestId: 'r2',
      approver: 'jack@fabrikam.com',
      authenticated: true,
    });
    app.host.raiseEvent(RELEASE, Events.ApprovalDecision, {
      ...base,
      requestId: 'r3',
      approver: 'eve@contoso.com',
      authenticated: true,
    });
    await app.host.idle();
    expect(await app.release(RELEASE)).toMatchObject({
      phase: 'awaiting-approval',
      approval: { pending: true, approvals: [] },
    });
    app.host.raiseEvent(RELEASE, Events.ApprovalDecision, {
      ...base,
      requestId: 'r4',
      approver: 'alice@contoso.com',
      authenticated: true,
    });
    await app.host.idle();
    expect(await app.release(RELEASE)).toMatchObject({ phase: 'baking', approval: { decisionId: 'r4' } });
  });
});

describe('deciding without a link (the console): POST approvals/{id}/{decision} as a signed-in approver', () => {
  it('a signed-in approver decides with no token; the identity comes from the platform headers', async () => {
    app = await startApp(quorum({ minApprovers: 1 }));
    await awaiting();
    const ok = await decideAs(await app.signIn('alice@contoso.com'), 'approve', { link: false });
    expect(ok).toMatchObject({ status: 202, json: { approver: 'alice@contoso.com', authenticated: true } });
    await app.host.idle();
    expect((await app.release(RELEASE)).approval).toMatchObject({ decision: 'approved' });
  });

  it('refused without sign-in, for a spoofed header, from another site, and on targets without approvers', async () => {
    app = await startApp(quorum({ minApprovers: 1 }));
    await awaiting();
    const anonymous = await decideAs(undefined, 'approve', {
      link: false,
      body: { approver: 'alice@contoso.com' },
    });
    expect({ status: anonymous.status, code: code(anonymous) }).toEqual({
      status: 401,
      code: 'missing-token',
    });
    const spoofed = await decideAs(undefined, 'approve', {
      link: false,
      headers: { 'x-ms-client-principal-name': 'alice@contoso.com', 'x-ms-client-principal-idp': 'aad' },
    });
    expect({ status: spoofed.status, code: code(spoofed) }).toEqual({
      status: 401,
      code: 'missing-token',
    });
    // Signed in but not an approver: refused before anything about the release's approval state is told.
    const eve = await decideAs(await app.signIn('eve@contoso.com'), 'approve', { link: false });
    expect({ status: eve.status, code: code(eve) }).toEqual({ status: 403, code: 'not-an-approver' });
    const alice = await app.signIn('alice@contoso.com');
    const crossSite = await decideAs(alice, 'approve', {
      link: false,
      headers: { origin: 'https://evil.example' },
    });
    expect({ status: crossSite.status, code: code(crossSite) }).toEqual({ status: 403, code: 'cross-site' });
    const fetchSite = await decideAs(alice, 'approve', {
      link: false,
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect({ status: fetchSite.status, code: code(fetchSite) }).toEqual({ status: 403, code: 'cross-site' });
    const bad = await decideAs(alice, 'maybe' as 'approve', { link: false });
    expect({ status: bad.status, code: code(bad) }).toEqual({ status: 400, code: 'bad-decision' });
    await app.host.idle();
    expect(app.host.history(RELEASE).filter((e) => e.Name === Events.ApprovalDecision)).toEqual([]);
    // Same-origin is fine.
    const own = await decideAs(alice, 'approve', {
      link: false,
      headers: { origin: 'https://release.example.com' },
    });
    expect(own.status).toBe(202);

    await app.close();
    app = await startApp();
    await awaiting();
    const open = await decideAs(await app.signIn('alice@contoso.com'), 'approve', { link: false });
    expect({ status: open.status, code: code(open) }).toEqual({ status: 401, code: 'missing-token' });
  });

  it('a release that does not await approval → 409; an unknown one → 404', async () => {
    app = await startApp(quorum({ minApprovers: 1 }));
    const alice = await app.signIn('alice@contoso.com');
    const none = await fetch(`${app.host.url}/api/approvals/web-prod-b999/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: alice },
      body: '{}',
    });
    expect(none.status).toBe(404);
    await awaiting();
    expect((await decideAs(alice, 'reject', { link: false })).status).toBe(202);
    await app.host.idle();
    const late = await decideAs(await app.signIn('bob@contoso.com'), 'approve', { link: false });
    expect({ status: late.status, code: code(late) }).toEqual({ status: 409, code: 'already-decided' });
  });
});
