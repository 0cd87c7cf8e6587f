/**
 * The console's routes on the whole app: what the dashboard says of each target comes from its configuration and
 * its traffic provider (the core names none).
 */
import { ids } from '../builders/target';
import { startApp, type AppHost } from '../support/appHost';

let app: AppHost | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function dashboard(a: AppHost): Promise<string> {
  const cookie = await a.signIn('oncall@contoso.com');
  const res = await a.host.fetch('/api/console', { headers: { cookie } });
  expect(res.status).toBe(200);
  return res.text();
}

describe('GET /api/console', () => {
  it.each([
    ['Traffic Manager', {}],
    [
      'Front Door',
      { traffic: { kind: 'frontDoor', profileId: undefined, originGroupId: ids.originGroup() } },
    ],
  ])('names the traffic provider the live slot was read from: %s', async (name, target) => {
    app = await startApp(target);
    const html = await dashboard(app);
    expect(html).toContain(
      '<caption class="muted">Live slot as each target\'s traffic provider (in brackets) has it now;',
    );
    // After the live slot, or why it is unknown (the fake world serves the Traffic Manager profile only).
    expect(html).toMatch(
      new RegExp(
        `<th scope="row">web-prod</th><td>(?:(?!</td>).)+ <span class="muted">\\(${name}\\)</span></td>`,
      ),
    );
    expect(html).not.toContain(name === 'Front Door' ? '(Traffic Manager)' : '(Front Door)');
  });
});
