import { checkApprover } from '../../../src/core/approval/policy';

describe('checkApprover', () => {
  it('prefers the signed-in principal over a supplied name', () => {
    expect(checkApprover({}, 'alice@contoso.com', 'mallory')).toEqual({
      ok: true,
      approver: 'alice@contoso.com',
    });
    expect(checkApprover({}, undefined, ' bob ')).toEqual({ ok: true, approver: 'bob' });
  });

  it('requires someone to be named', () => {
    expect(checkApprover({}, undefined, '  ')).toEqual({ ok: false, reason: 'name who decides (approver)' });
  });

  it('enforces the allow-list case-insensitively', () => {
    const approval = { approvers: ['Alice@Contoso.com', 'bob@contoso.com'] };
    expect(checkApprover(approval, 'alice@contoso.com', undefined)).toEqual({
      ok: true,
      approver: 'alice@contoso.com',
    });
    expect(checkApprover(approval, 'eve@contoso.com', 'bob@contoso.com')).toEqual({
      ok: false,
      reason: 'eve@contoso.com is not an approver of this target',
    });
    expect(checkApprover(approval, undefined, undefined)).toMatchObject({ ok: false });
  });
});
