/**
 * The console in a real browser: Debian's chromium driven by playwright-core against the whole local stack. A
 * release is walked from the hook to approval (by keyboard), swap, bake and an alert rollback, watched live in
 * the page; every page is scanned with axe-core; with JavaScript off (plain forms) a second release is rejected, a
 * third cancelled and re-run, and a target frozen. Screenshots go to test-artifacts/console/ (git-ignored); copies of
 * some of them are in docs/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { releaseIdOf, startE2e, type E2e } from './support';

jest.setTimeout(240_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'console');
const ALICE = 'alice@example.com';
/**
 * A signed-in person's session: the local host's development sign-in, standing in for App Service authentication,
 * sets a cookie and then the principal headers on every request (a client's own principal headers are removed).
 */
let SIGNED_IN: { cookie: string };

async function signIn(name: string): Promise<string> {
  const res = await fetch(`${e2e.stack.hostUrl}/.auth/login/aad`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name }).toString(),
  });
  expect(res.status).toBe(302);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

let e2e: E2e;
let browser: Browser;
const cspViolations: string[] = [];

beforeAll(async () => {
  e2e = await startE2e({
    network: 46,
    trafficAndAlerts: true,
    targetOverrides: {
      bakeSeconds: 45,
      health: { intervalSeconds: 1 },
      approval: { approvers: [ALICE] },
    },
  });
  SIGNED_IN = { cookie: await signIn(ALICE) };
  mkdirSync(ARTIFACTS, { recursive: true });
  // launch() gives chromium a fresh profile (--user-data-dir) of its own and removes it on close.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await e2e?.close();
});

async function signedIn(javaScriptEnabled = true): Promise<BrowserContext> {
  const context = await browser.newContext({
    javaScriptEnabled,
    viewport: { width: 1280, height: 900 },
  });
  const [name, value] = SIGNED_IN.cookie.split('=') as [string, string];
  await context.addCookies([{ name, value, url: e2e.stack.hostUrl, httpOnly: true, sameSite: 'Lax' }]);
  context.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) cspViolations.push(msg.text());
  });
  return context;
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Runs axe-core in the page (evaluated through the devtools protocol, so the page's CSP stays as it is). */
async function expectAccessible(page: Page, label: string): Promise<void> {
  await page.evaluate(axe.source);
  // Strings, not functions: this file is compiled without the DOM library.
  const result = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] })",
  )) as axe.AxeResults;
  const serious = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect({ label, serious }).toEqual({ label, serious: [] });
}

/** Presses Tab until the focused element matches, at most `max` times; returns how many presses it took. */
async function tabTo(page: Page, selector: string, max = 40, key = 'Tab'): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press(key);
    if (await page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`))
      return i;
  }
  throw new Error(`${selector} never got the focus in ${max} Tab presses`);
}

const base = () => e2e.stack.hostUrl;

describe('the console in chromium', () => {
  it('refuses anyone not signed in, even with the function key', async () => {
    const anonymous = await fetch(`${base()}/api/console`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain('Sign-in required');
    const withKey = await fetch(`${base()}/api/console?code=${encodeURIComponent(e2e.stack.functionKey)}`);
    expect(withKey.status).toBe(401);
    const withKeyHeader = await fetch(`${base()}/api/console/releases/webapp-b1`, {
      headers: { 'x-functions-key': e2e.stack.functionKey },
    });
    expect(withKeyHeader.status).toBe(401);
  });

  it('signs a person in through the sign-in link and brings them back to the console', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    expect((await page.goto(`${base()}/api/console`))?.status()).toBe(401);
    await Promise.all([
      page.waitForURL(/\/\.auth\/login\/aad/),
      page.getByRole('link', { name: 'Sign in' }).click(),
    ]);
    await page.locator('#name').fill('carol@example.com');
    await Promise.all([
      page.waitForURL(/\/api\/console$/),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    expect(await page.locator('header .who').innerText()).toBe('Signed in as carol@example.com');
    expect(await page.locator('h1').innerText()).toBe('Releases');
    await context.close();
  });

  it('walks a release from the hook to approval, swap, bake and an alert rollback, live in the page', async () => {
    const id = releaseIdOf(7001);
    const context = await signedIn();
    const page = await context.newPage();

    expect((await e2e.hook({ id: 7001, number: '7.0.1' })).status).toBe(202);
    const first = await page.goto(`${base()}/api/console/releases/${id}`);
    expect(first?.status()).toBe(200);
    const csp = first?.headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(await page.content()).not.toContain(e2e.stack.functionKey);
    expect(await page.locator('header .who').innerText()).toContain(ALICE);

    // Nothing is reloaded by the test: the page's own polling brings it to the approval.
    await page.getByRole('button', { name: 'Approve' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-part="summary"] .badge').innerText()).toBe('Awaiting approval');
    expect(await page.locator('#poll-status').innerText()).toMatch(/Live: updated/);
    const deployRows = page.locator('[data-part="timeline"] h3:text("Deploy") + p + table tbody tr');
    expect(await deployRows.count()).toBe(3);
    expect(await page.locator('[data-part="timeline"]').innerText()).toMatch(
      /Verify[\s\S]*passed[\s\S]*version 7\.0\.1/,
    );
    // Keyboard only: the skip link first, then the comment box.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await tabTo(page, '#approve-comment');
    await page.keyboard.type('looks good on staging');
    // An instance's deploy output opens from the keyboard and stays open while the page updates.
    await tabTo(page, '#output-0 summary');
    await page.keyboard.press('Enter');
    // Back to the Approve button (the focus leaves the timeline, so updates replace it), focus ring visible.
    await tabTo(page, 'button.approve', 40, 'Shift+Tab');
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).not.toBe('none');
    const before = await page.locator('[data-part="timeline"] tbody').first().innerText();
    // (waitForFunction evaluates with eval, which the page's CSP rightly refuses: poll from here instead.)
    for (let i = 0; ; i++) {
      const now = await page.locator('[data-part="timeline"] tbody').first().innerText();
      if (now !== before) break;
      if (i > 100) throw new Error('the timeline was never updated');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await page.locator('#output-0').getAttribute('open')).toBe('');
    expect(await page.locator('#output-0 pre').innerText()).toMatch(/\S/);
    expect(await page.locator('#approve-comment').inputValue()).toBe('looks good on staging');
    await shoot(page, 'awaiting-approval');
    await expectAccessible(page, 'awaiting approval');
    await Promise.all([page.waitForURL(/\?done=approve$/), page.keyboard.press('Enter')]);
    expect(await page.getByRole('status').filter({ hasText: 'Your approval was recorded.' }).count()).toBe(1);

    // The swap, then the bake, arrive by polling.
    await page.locator('[data-part="summary"]', { hasText: 'baking' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-part="summary"]').innerText()).toMatch(/traffic on green/);
    expect(await page.locator('[data-part="timeline"]').innerText()).toMatch(
      new RegExp(`approved by ${ALICE.replace('.', '\\.')}`),
    );
    expect(await page.locator('[data-part="timeline"]').innerText()).toContain('looks good on staging');
    expect(await page.getByRole('button', { name: 'Roll back' }).count()).toBe(1);
    expect(e2e.enabled()).toEqual(['green']);
    await shoot(page, 'running');
    await expectAccessible(page, 'running (baking)');

    // Azure Monitor fires: the page shows the alert, its decision and the rollback with its latencies.
    const fired = await fetch(`${e2e.stack.fleet.controlUrl}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        rule: 'webapp-failed-requests',
        description: 'fired by the browser test',
        severity: 'Sev1',
      }),
    });
    expect(fired.status).toBe(200);
    const alertId = ((await fired.json()) as { data: { essentials: { alertId: string } } }).data.essentials
      .alertId;
    await page
      .locator('[data-part="summary"] .badge', { hasText: 'RolledBack' })
      .waitFor({ timeout: 30_000 });
    await page.locator('#poll-status', { hasText: 'live updates stopped' }).waitFor({ timeout: 10_000 });
    const timeline = await page.locator('[data-part="timeline"]').innerText();
    expect(timeline).toMatch(/Received during the bake[\s\S]*webapp-failed-requests[\s\S]*Fired[\s\S]*acts/);
    expect(timeline).toMatch(/Rollback[\s\S]*alert webapp-failed-requests \(Sev1\)/);
    expect(timeline).toMatch(/Alert fired to traffic back\s+\d+(\.\d+)? (ms|s)/);
    expect(timeline).toMatch(/Alert received to traffic back\s+\d+(\.\d+)? (ms|s)/);
    expect(e2e.enabled()).toEqual(['blue']);
    // Rolled back: nothing to roll back any more; the build may be re-run.
    const actions = await page.locator('[data-part="actions"]').innerText();
    expect(actions).not.toContain('Roll back');
    expect(actions).toContain('Re-run');
    await shoot(page, 'rolled-back');
    await expectAccessible(page, 'rolled back');
    await e2e.stack.fleet.alerts!.resolveAlert(alertId);

    // The dashboard: the target with its live slot and builds, the list, and a filter used by keyboard.
    await page.goto(`${base()}/api/console`);
    const targets = await page.locator('[data-part="targets"]').innerText();
    expect(targets).toMatch(/webapp\s+blue/);
    expect(targets).toMatch(/green: 7\.0\.1/);
    expect(await page.locator('[data-part="releases"] tbody tr').count()).toBe(1);
    await shoot(page, 'dashboard');
    await expectAccessible(page, 'dashboard');
    await page.locator('#f-status').focus();
    await page.keyboard.press('End'); // Cancelled, the last status: nothing is cancelled yet
    await tabTo(page, 'form.filters button', 20);
    await Promise.all([page.waitForURL(/status=Cancelled/), page.keyboard.press('Enter')]);
    expect(await page.locator('[data-part="releases"]').innerText()).toContain(
      'No releases match on this page.',
    );
    await context.close();
  });

  it('rejects with JavaScript off: the form posts, the server redirects back to the release', async () => {
    const id = releaseIdOf(7002);
    expect((await e2e.hook({ id: 7002, number: '7.0.2' })).status).toBe(202);
    await e2e.waitFor(id, (v) => v.phase === 'awaiting-approval' || v.phase === 'done', 60_000);
    const context = await signedIn(false);
    const page = await context.newPage();
    await page.goto(`${base()}/api/console/releases/${id}`);
    await page.locator('#reject-comment').fill('not today');
    await Promise.all([
      page.waitForURL(/\?done=reject$/),
      page.getByRole('button', { name: 'Reject' }).click(),
    ]);
    await e2e.waitFor(id, (v) => v.phase === 'done', 30_000);
    await page.reload();
    expect(await page.locator('[data-part="summary"] .badge').innerText()).toBe('Rejected');
    expect(await page.locator('[data-part="timeline"]').innerText()).toContain(`rejected by ${ALICE}`);
    expect(e2e.enabled()).toEqual(['blue']);
    await shoot(page, 'rejected-no-javascript');
    await context.close();
  });

  it('refuses a console action posted from another site, and one by a person who is not an approver', async () => {
    const id = releaseIdOf(7003);
    expect((await e2e.hook({ id: 7003, number: '7.0.3' })).status).toBe(202);
    await e2e.waitFor(id, (v) => v.phase === 'awaiting-approval' || v.phase === 'done', 60_000);
    const post = (headers: Record<string, string>) =>
      fetch(`${base()}/api/console/releases/${id}/approve`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: 'comment=x',
      });
    const crossSite = await post({
      ...SIGNED_IN,
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
    });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.text()).toContain('another site');
    const noOrigin = await post(SIGNED_IN);
    expect(noOrigin.status).toBe(403);
    const mallory = await post({
      cookie: await signIn('mallory@example.com'),
      'sec-fetch-site': 'same-origin',
    });
    expect(mallory.status).toBe(403);
    expect(await mallory.text()).toContain('not an approver');
    // A client's own principal header is no sign-in: the host removes it, as App Service does.
    const spoofed = await post({
      'x-ms-client-principal-name': ALICE,
      'x-ms-client-principal-idp': 'aad',
      'sec-fetch-site': 'same-origin',
    });
    expect(spoofed.status).toBe(401);
    expect((await e2e.release(id)).phase).toBe('awaiting-approval');
    const badAction = await fetch(`${base()}/api/console/releases/${id}/promote`, {
      method: 'POST',
      headers: {
        ...SIGNED_IN,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: '',
    });
    expect(badAction.status).toBe(400);
    expect(await badAction.text()).toContain('action must be one of approve, reject, rollback');
  });

  it('cancels a release awaiting approval with JavaScript off, shows who and why, and re-runs it as <id>-r2', async () => {
    const id = releaseIdOf(7003); // left awaiting approval by the test above
    expect((await e2e.release(id)).phase).toBe('awaiting-approval');
    const context = await signedIn(false);
    const page = await context.newPage();
    await page.goto(`${base()}/api/console/releases/${id}`);
    // Still running: it may be cancelled, not re-run; the reason is required by the form itself.
    expect(await page.getByRole('button', { name: 'Re-run' }).count()).toBe(0);
    expect(await page.locator('#cancel-reason').getAttribute('required')).toBe('');
    await page.locator('#cancel-reason').fill('wrong branch');
    await Promise.all([
      page.waitForURL(new RegExp(`/api/console/releases/${id}\\?done=cancel$`)),
      page.getByRole('button', { name: 'Cancel release' }).click(),
    ]);
    expect(await page.locator('[data-part="notice"]').innerText()).toContain(
      'Your cancel request was accepted: the release stops before its swap, production untouched.',
    );
    await e2e.waitFor(id, (v) => v.status === 'Cancelled', 30_000);
    await page.reload();
    expect(await page.locator('[data-part="summary"] .badge').innerText()).toBe('Cancelled');
    expect(await page.locator('[data-part="summary"]').innerText()).toMatch(
      new RegExp(
        `Cancelled\\s+by ${ALICE.replace('.', '\\.')} at .* \\(while awaiting-approval\\): wrong branch`,
      ),
    );
    expect(await page.getByRole('button', { name: 'Cancel release' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Re-run' }).count()).toBe(1);
    expect(await page.locator('#rerun-reason').getAttribute('required')).toBe('');
    // Production untouched: traffic never left blue, and the release never swapped.
    expect(e2e.enabled()).toEqual(['blue']);
    expect((await e2e.release(id)).timeline.some((t) => t.step === 'swap')).toBe(false);
    // axe-core's run() never settles where JavaScript is off: scan and shoot the page with it on.
    const live = await signedIn();
    const view = await live.newPage();
    await view.goto(`${base()}/api/console/releases/${id}`);
    await expectAccessible(view, 'cancelled release');
    await shoot(view, 'cancelled');

    await page.locator('#rerun-reason').fill('branch fixed');
    await Promise.all([
      page.waitForURL(new RegExp(`/api/console/releases/${id}-r2\\?done=rerun$`)),
      page.getByRole('button', { name: 'Re-run' }).click(),
    ]);
    expect(await page.locator('[data-part="notice"]').innerText()).toContain(
      'This re-run was started at your request.',
    );
    expect(await page.locator('[data-part="summary"]').innerText()).toMatch(
      new RegExp(`Re-run of\\s+${id} \\(attempt 2\\), asked by ${ALICE.replace('.', '\\.')}: branch fixed`),
    );
    await e2e.waitFor(`${id}-r2`, (v) => v.phase === 'awaiting-approval', 60_000);
    await page.reload();
    expect(await page.locator('[data-part="summary"] .badge').innerText()).toBe('Awaiting approval');
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(1);
    await view.goto(`${base()}/api/console/releases/${id}-r2`);
    await expectAccessible(view, 're-run awaiting approval');
    await shoot(view, 'rerun-awaiting-approval');
    await live.close();
    await context.close();
  });

  it('freezes a target from the dashboard with JavaScript off, shows who, why and until when, and unfreezes it', async () => {
    const context = await signedIn(false);
    const page = await context.newPage();
    await page.goto(`${base()}/api/console`);
    await page.locator('#freeze-reason-webapp').fill('incident 99: checkout errors');
    await page.locator('#freeze-for-webapp').selectOption('4h');
    await Promise.all([
      page.waitForURL(/\?done=freeze$/),
      page.getByRole('button', { name: 'Freeze webapp' }).click(),
    ]);
    const targets = page.locator('[data-part="targets"]');
    expect(await page.locator('[data-part="notice"]').innerText()).toContain('The target is frozen.');
    expect(await targets.innerText()).toMatch(/Frozen by alice@example\.com since .* until .*/);
    expect(await targets.innerText()).toContain('incident 99: checkout errors');
    // A build sent now waits, and says why.
    const hook = await e2e.hook({ id: 7004, number: '7.0.4' });
    expect(hook.body).toMatchObject({ queued: true, frozen: { by: ALICE } });
    // axe-core runs as a script: the frozen pages are scanned and shot in a context with JavaScript on.
    const live = await signedIn();
    const view = await live.newPage();
    await view.goto(`${base()}/api/console`);
    await expectAccessible(view, 'dashboard, frozen');
    await shoot(view, 'target-frozen');
    await view.goto(`${base()}/api/console/releases/${releaseIdOf(7004)}`);
    expect(await view.locator('[data-part="timeline"]').innerText()).toContain('frozen by alice@example.com');
    await shoot(view, 'queued-frozen');
    await live.close();

    await page.goto(`${base()}/api/console`);
    await Promise.all([
      page.waitForURL(/\?done=unfreeze$/),
      page.getByRole('button', { name: 'Unfreeze webapp' }).click(),
    ]);
    expect(await page.locator('[data-part="notice"]').innerText()).toContain('The target is unfrozen.');
    expect(await targets.innerText()).toContain(
      'Last frozen by alice@example.com (incident 99: checkout errors); unfrozen by alice@example.com',
    );
    await e2e.waitFor(releaseIdOf(7004), (v) => v.status === 'Running', 60_000);
    await shoot(page, 'target-unfrozen');
    await context.close();
  });

  it('ran its script under the CSP without a single violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
