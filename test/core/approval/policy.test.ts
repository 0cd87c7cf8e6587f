import fc from 'fast-check';
import {
  approverKey,
  checkDecider,
  decisionCounts,
  isRequester,
  onApproverList,
} from '../../../src/core/approval/policy';
import type { BuildInfo, Identity } from '../../../src/core/domain';

const build: BuildInfo = {
  id: '1',
  number: '1.0.1',
  pipeline: 'web',
  requestedBy: 'Jack Fabrikam',
  requestedByUniqueName: 'jack@fabrikam.com',
  source: 'build.complete',
};
const open = { name: 'web', approval: { allowSelfApproval: false } };
const bound = {
  name: 'web',
  approval: {
    approvers: ['Alice@Contoso.com', '11111111-2222-3333-4444-555555555555'],
    allowSelfApproval: false,
  },
};
const alice: Identity = { name: 'alice@contoso.com', idp: 'aad', id: '99999999-0000-0000-0000-000000000000' };

describe('checkDecider', () => {
  it('on a target without approvers: the signed-in principal wins over a typed name, else the typed name', () => {
    expect(checkDecider(open, build, 'approve', alice, 'mallory', true)).toEqual({
      ok: true,
      decider: { name: 'alice@contoso.com', id: alice.id, authenticated: true },
    });
    expect(checkDecider(open, build, 'approve', undefined, ' bob ', false)).toEqual({
      ok: true,
      decider: { name: 'bob', authenticated: false },
    });
  });

  it('requires someone to be named, without control characters', () => {
    expect(checkDecider(open, build, 'approve', undefined, '  ', false)).toMatchObject({
      ok: false,
      status: 400,
      code: 'approver-required',
    });
    expect(checkDecider(open, build, 'approve', undefined, 'bob\nINFO forged', false)).toMatchObject({
      ok: false,
      status: 400,
      code: 'bad-approver',
    });
  });

  it('on a target with approvers: refuses a typed name, even one on the list, and says why', () => {
    const typed = checkDecider(bound, build, 'approve', undefined, 'alice@contoso.com', true);
    expect(typed).toMatchObject({ ok: false, status: 401, code: 'sign-in-required' });
    expect(typed.ok || typed.reason).toMatch(
      /target 'web' names its approvers: .*never a typed name; sign in first/,
    );
    // Without App Service authentication nobody can: the message names the setting.
    const noAuth = checkDecider(bound, build, 'reject', undefined, 'alice@contoso.com', false);
    expect(noAuth.ok || noAuth.reason).toMatch(/WEBSITE_AUTH_ENABLED/);
  });

  it('on a target with approvers: a signed-in principal on the list (name or object id, any case) decides', () => {
    expect(checkDecider(bound, build, 'approve', alice, undefined, true)).toMatchObject({
      ok: true,
      decider: { name: 'alice@contoso.com', authenticated: true },
    });
    const byId: Identity = {
      name: 'carol@contoso.com',
      idp: 'aad',
      id: '11111111-2222-3333-4444-555555555555',
    };
    expect(checkDecider(bound, build, 'approve', byId, undefined, true)).toMatchObject({ ok: true });
    const eve: Identity = { name: 'eve@contoso.com', idp: 'aad' };
    expect(checkDecider(bound, build, 'approve', eve, 'alice@contoso.com', true)).toEqual({
      ok: false,
      status: 403,
      code: 'not-an-approver',
      reason: "eve@contoso.com is not an approver of target 'web' (approval.approvers)",
    });
  });

  it('refuses self-approval by principal name or display name, allows self-rejection and allowSelfApproval', () => {
    const jack: Identity = { name: 'Jack@Fabrikam.com', idp: 'aad' };
    expect(checkDecider(open, build, 'approve', jack, undefined, true)).toMatchObject({
      ok: false,
      status: 403,
      code: 'self-approval',
    });
    const byDisplayName: Identity = { name: 'j.f@other.com', idp: 'aad', displayName: 'jack fabrikam' };
    expect(checkDecider(open, build, 'approve', byDisplayName, undefined, true)).toMatchObject({
      code: 'self-approval',
    });
    // A typed name of the requester is refused too.
    expect(checkDecider(open, build, 'approve', undefined, 'Jack Fabrikam', false)).toMatchObject({
      code: 'self-approval',
    });
    expect(checkDecider(open, build, 'reject', jack, undefined, true)).toMatchObject({ ok: true });
    const allowed = { name: 'web', approval: { allowSelfApproval: true } };
    expect(checkDecider(allowed, build, 'approve', jack, undefined, true)).toMatchObject({ ok: true });
  });
});

describe('decisionCounts (the orchestration re-checks every decision)', () => {
  it('counts on an identity-bound target only signed-in approvers on the list, never the requester', () => {
    const rules = bound.approval;
    expect(decisionCounts(rules, build, 'approve', { name: 'alice@contoso.com', authenticated: true })).toBe(
      true,
    );
    expect(decisionCounts(rules, build, 'approve', { name: 'alice@contoso.com', authenticated: false })).toBe(
      false,
    );
    expect(decisionCounts(rules, build, 'reject', { name: 'eve@contoso.com', authenticated: true })).toBe(
      false,
    );
    const self = { approvers: ['jack@fabrikam.com'], allowSelfApproval: false };
    expect(decisionCounts(self, build, 'approve', { name: 'jack@fabrikam.com', authenticated: true })).toBe(
      false,
    );
    expect(decisionCounts(self, build, 'reject', { name: 'jack@fabrikam.com', authenticated: true })).toBe(
      true,
    );
  });

  it('property: a decider the API accepts is one the orchestration counts', () => {
    const names = fc.constantFrom(
      'alice@contoso.com',
      'ALICE@contoso.com',
      'jack@fabrikam.com',
      'eve@x.com',
      'Jack Fabrikam',
    );
    fc.assert(
      fc.property(
        fc.option(fc.subarray(['alice@contoso.com', 'jack@fabrikam.com', 'bob@x.com'], { minLength: 1 }), {
          nil: undefined,
        }),
        fc.boolean(),
        fc.constantFrom<'approve' | 'reject'>('approve', 'reject'),
        fc.option(names, { nil: undefined }),
        fc.option(names, { nil: undefined }),
        (approvers, allowSelfApproval, decision, signedIn, typed) => {
          const target = { name: 't', approval: { ...(approvers ? { approvers } : {}), allowSelfApproval } };
          const identity = signedIn ? { name: signedIn, idp: 'aad' } : undefined;
          const check = checkDecider(target, build, decision, identity, typed, true);
          if (check.ok) expect(decisionCounts(target.approval, build, decision, check.decider)).toBe(true);
        },
      ),
    );
  });
});

describe('helpers', () => {
  it('one approver is one key whatever the case; the list matches names and ids case-insensitively', () => {
    expect(approverKey({ name: ' Alice@Contoso.com ' })).toBe(approverKey({ name: 'alice@contoso.com' }));
    expect(onApproverList(['A@x.com'], { name: 'a@X.com' })).toBe(true);
    expect(onApproverList(['ABC'], { name: 'z@x.com', id: 'abc' })).toBe(true);
    expect(onApproverList(['a@x.com'], { name: 'b@x.com' })).toBe(false);
  });

  it('a build without a requester has no self-approver', () => {
    expect(isRequester({ name: 'x' }, {})).toBe(false);
    expect(isRequester({ name: '' }, { requestedBy: '' })).toBe(false);
  });
});
