import { ArmError, armErrors, toArmError } from '../../../local/arm/errors';
import type { Route } from '../../../local/arm/http';
import { requireApiVersion, Router } from '../../../local/arm/http';

const route = (method: Route['method'], pattern: string): Route => ({
  method,
  pattern,
  action: 'x/read',
  handle: () => undefined,
});
const segs = (path: string): string[] => path.split('/').filter(Boolean);

describe('ARM stand-in router', () => {
  const router = new Router([
    route('GET', '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}'),
    route('PUT', '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}'),
    route('GET', '{*scope}/providers/Microsoft.AlertsManagement/alerts'),
  ]);

  it('matches literals case-insensitively and binds placeholders', () => {
    const m = router.match(
      'GET',
      segs('/SUBSCRIPTIONS/s1/resourcegroups/rg-a/providers/microsoft.compute/VIRTUALMACHINES/vm1'),
    );
    expect(m).toMatchObject({ kind: 'route', params: { sub: 's1', rg: 'rg-a', vm: 'vm1' } });
  });

  it('binds a leading scope of any depth, but never an empty one', () => {
    expect(
      router.match('GET', segs('/subscriptions/s1/providers/Microsoft.AlertsManagement/alerts')),
    ).toMatchObject({
      params: { scope: '/subscriptions/s1' },
    });
    expect(
      router.match(
        'GET',
        segs('/subscriptions/s1/resourceGroups/rg/providers/Microsoft.AlertsManagement/alerts'),
      ),
    ).toMatchObject({ params: { scope: '/subscriptions/s1/resourceGroups/rg' } });
    expect(router.match('GET', segs('/providers/Microsoft.AlertsManagement/alerts'))).toEqual({
      kind: 'none',
    });
  });

  it('tells a wrong method (405) from an unknown path (404)', () => {
    const path = segs('/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/v');
    expect(router.match('DELETE', path)).toEqual({ kind: 'method', allowed: ['GET', 'PUT'] });
    expect(
      router.match('GET', segs('/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/disks/d')),
    ).toEqual({
      kind: 'none',
    });
  });

  it('requires one of the api-versions with ARM codes', () => {
    expect(requireApiVersion(new URLSearchParams('api-version=2022-04-01'), ['2022-04-01'])).toBe(
      '2022-04-01',
    );
    expect(() => requireApiVersion(new URLSearchParams(''), ['2022-04-01'])).toThrow(
      expect.objectContaining({ status: 400, code: 'MissingApiVersionParameter' }),
    );
    expect(() => requireApiVersion(new URLSearchParams('api-version=1999-01-01'), ['2022-04-01'])).toThrow(
      expect.objectContaining({ status: 400, code: 'InvalidApiVersionParameter' }),
    );
  });
});

describe('ARM stand-in error factory', () => {
  it("writes ARM's error body, with the target when Compute names the field", () => {
    expect(armErrors.missingParameter('commandId').body()).toEqual({
      error: {
        code: 'InvalidParameter',
        message: "Required parameter 'commandId' is missing (null).",
        target: 'commandId',
      },
    });
    expect(armErrors.resourceGroupNotFound('rg-x').body()).toEqual({
      error: { code: 'ResourceGroupNotFound', message: "Resource group 'rg-x' could not be found." },
    });
  });

  it('words AuthorizationFailed as ARM does, naming client, object id, action and scope', () => {
    const e = armErrors.authorizationFailed(
      { clientId: 'c1', objectId: 'o1' },
      'Microsoft.Compute/virtualMachines/read',
      '/subscriptions/s',
    );
    expect(e.status).toBe(403);
    expect(e.body().error.message).toBe(
      "The client 'c1' with object id 'o1' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/read' over scope '/subscriptions/s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
    );
  });

  it('turns an injected fault into its default code with Retry-After, and anything else into a 500', () => {
    const e = armErrors.injected(429, undefined, 'slow down', 3);
    expect([e.code, e.headers]).toEqual(['TooManyRequests', { 'Retry-After': '3' }]);
    const internal = toArmError(new TypeError('boom'));
    expect(internal).toBeInstanceOf(ArmError);
    expect([internal.status, internal.code, internal.message]).toEqual([500, 'InternalServerError', 'boom']);
  });
});
