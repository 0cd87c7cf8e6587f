/**
 * Least privilege, enforced: the local stack's ARM stand-in authorizes every call of the app's managed identity
 * against the role assignments of the compiled template (infra/main.json), as ARM would after `azd up`.
 */
import { releaseIdOf, useE2e } from './support';

jest.setTimeout(90_000);

const e2e = useE2e({ network: 25, targetOverrides: { bakeSeconds: 2, health: { intervalSeconds: 1 } } });

describe('RBAC enforced on the local stack', () => {
  it('a release whose identity lost the run command role on the staging scale set fails, naming the action and the scope', async () => {
    const control = e2e.stack.arm.control;
    const green = e2e.stack.fleet.topology.slots.find((s) => s.name === 'green')!;
    const assignment = control
      .roleAssignments()
      .find((a) => a.scope.toLowerCase().endsWith(`/virtualmachinescalesets/${green.vmssName}`))!;
    expect(assignment).toBeDefined();
    control.removeRoleAssignment(assignment.name);
    try {
      expect((await e2e.hook({ id: 7001, number: '7.0.1' })).status).toBe(202);
      const view = await e2e.waitFor(releaseIdOf(7001), (v) => v.phase === 'done', 60_000);
      expect(view).toMatchObject({ status: 'Failed', stagingSlot: 'green' });
      expect(view.error!.message).toMatch(
        /403 AuthorizationFailed: The client '[^']+' with object id '[^']+' does not have authorization to perform action 'Microsoft\.Compute\/virtualMachineScaleSets\/[a-zA-Z/]*read' over scope '[^']*\/virtualMachineScaleSets\/vmss-webapp-green/,
      );
      expect(e2e.enabled()).toEqual(['blue']);
      // Every call was the app's managed identity, and the refusal was ARM's.
      const refused = control.requests().filter((r) => r.status === 403);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((r) => r.managedIdentityToken)).toBe(true);
    } finally {
      control.addRoleAssignment(assignment);
    }
  });

  it("with the template's assignments a release deploys, verifies, swaps and bakes through", async () => {
    expect((await e2e.hook({ id: 7002, number: '7.0.2' })).status).toBe(202);
    const id = releaseIdOf(7002);
    let view = await e2e.waitFor(id, (v) => v.phase === 'awaiting-approval' && !!v.approval?.pending, 60_000);
    expect((await e2e.decide(view, 'approve', 'alice@example.com')).status).toBe(202);
    view = await e2e.waitFor(id, (v) => v.phase === 'done', 60_000);
    expect(view).toMatchObject({ status: 'Succeeded', liveSlot: 'green' });
    // Operation status reads (the deployer's LRO polls) were authorized at the resource group.
    const polls = e2e.stack.arm.control
      .requests()
      .filter((r) => /\/providers\/Microsoft\.Compute\/locations\/[^/]+\/operations\//i.test(r.path));
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.every((r) => r.status === 200 && r.managedIdentityToken)).toBe(true);
  });
});
