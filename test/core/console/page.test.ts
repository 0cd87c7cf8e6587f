/**
 * The console's pages as HTML: every value escaped, the CSP hashes matching the one style and script, the
 * actions each state allows, the evidence of every step (deploy output, verify, alerts, rollback latencies).
 */
import { createHash } from 'node:crypto';
import {
  CONSOLE_HEADERS,
  renderConsoleMessage,
  renderDashboard,
  renderReleasePage,
} from '../../../src/core/console/page';
import { CONSOLE_SCRIPT } from '../../../src/core/console/script';
import type { ReleaseView } from '../../../src/core/domain';
import { aReleaseView } from '../../builders/release';
import { aBuild } from '../../builders/target';

const NOW = new Date('2024-05-01T10:06:00.000Z');
const page = (release: ReleaseView) =>
  renderReleasePage({ identity: 'alice@example.com', release, now: NOW });
const sha = (text: string) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;

function inline(html: string, tag: 'script' | 'style'): string[] {
  return [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
}

describe('console pages', () => {
  it('allow exactly their own inline style and script by hash, nothing unsafe', () => {
    const csp = CONSOLE_HEADERS['Content-Security-Policy']!;
    const html = page(aReleaseView());
    const [style] = inline(html, 'style');
    const scripts = inline(html, 'script');
    expect(scripts).toEqual([CONSOLE_SCRIPT]);
    expect(csp).toContain(`script-src '${sha(CONSOLE_SCRIPT)}'`);
    expect(csp).toContain(`style-src '${sha(style!)}'`);
    expect(csp).toMatch(/^default-src 'self';/);
    expect(csp).not.toMatch(/unsafe-/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(html).not.toMatch(/\son[a-z]+=/i); // no inline event handlers
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\/(?!release\.example\.com|dev\.azure\.com)/);
    expect(CONSOLE_HEADERS['Cache-Control']).toBe('no-store');
  });

  it('escapes every value that comes from a build, an alert or an instance', () => {
    const evil = '<img src=x onerror=alert(1)>"\'&';
    const html = page(
      aReleaseView({
        build: { number: evil, requestedBy: evil, branch: evil, url: 'javascript:alert(1)' },
        warnings: [{ code: 'mixed-versions', message: evil, instances: [evil] }],
        deploy: {
          instances: [{ instance: evil, exitCode: 1, succeeded: false, outputTail: evil }],
          failed: 1,
          tolerated: 1,
        },
        error: { step: evil, resource: evil, message: evil },
        timeline: [{ step: evil, startedAt: NOW.toISOString(), detail: evil }],
      }),
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
  });

  it('offers approve and reject only while the release awaits approval, never a link with its token', () => {
    const waiting = page(aReleaseView());
    expect(waiting).toContain('action="/api/console/releases/web-prod-b1234/approve"');
    expect(waiting).toContain('action="/api/console/releases/web-prod-b1234/reject"');
    expect(waiting).not.toContain('/rollback"');
    expect(waiting).not.toContain('token=');
    expect(waiting).toContain('data-poll="/api/console/releases/web-prod-b1234"');

    const baking = page(aReleaseView({ phase: 'baking', liveSlot: 'green' }));
    expect(baking).not.toContain('/approve"');
    expect(baking).toContain('action="/api/console/releases/web-prod-b1234/rollback"');
    expect(baking).toMatch(
      /<input type="text" id="rollback-reason" name="reason" maxlength="1000" required>/,
    );

    const succeeded = page(aReleaseView({ status: 'Succeeded', phase: 'done' }));
    expect(succeeded).toContain('/rollback"');
    expect(succeeded).not.toContain('data-poll="'); // ended: nothing to poll

    const superseded = page(aReleaseView({ status: 'Superseded', phase: 'done' }));
    expect(superseded).toContain('No action is possible in this state.');
  });

  it('offers cancel before the swap and re-run after a release ended without going live, each with a required reason', () => {
    const waiting = page(aReleaseView());
    expect(waiting).toContain('action="/api/console/releases/web-prod-b1234/cancel"');
    expect(waiting).toMatch(/<input type="text" id="cancel-reason" name="reason" maxlength="1000" required>/);
    expect(waiting).not.toContain('/rerun"');
    expect(page(aReleaseView({ phase: 'baking' }))).not.toContain('/cancel"');

    const failed = page(
      aReleaseView({
        status: 'Cancelled',
        phase: 'done',
        cancellation: {
          requestedBy: 'ops@example.com',
          reason: 'wrong <branch>',
          requestedAt: NOW.toISOString(),
          phase: 'deploying',
        },
      }),
    );
    expect(failed).toContain('action="/api/console/releases/web-prod-b1234/rerun"');
    expect(failed).toMatch(/<input type="text" id="rerun-reason" name="reason" maxlength="1000" required>/);
    expect(failed).toContain('<input type="checkbox" name="force" value="true">');
    expect(failed).not.toContain('/cancel"');
    expect(failed).toContain('class="badge b-Cancelled"');
    expect(failed).toMatch(
      /by ops@example\.com at <time[^>]*>[^<]*<\/time> \(while deploying\): wrong &lt;branch&gt;/,
    );
  });

  it('shows the approval quorum: who may decide, who approved so far and how many are still needed', () => {
    const release = aReleaseView();
    Object.assign(release.approval!, {
      approvers: ['alice@example.com', 'bob@example.com'],
      minApprovers: 2,
      approvals: [{ by: 'alice@example.com', at: NOW.toISOString(), authenticated: true, comment: 'fine' }],
      needed: 1,
    });
    const html = page(release);
    expect(html).toContain('<dt>Approvals</dt><dd>1 of 2; 1 still needed</dd>');
    expect(html).toContain(
      '<li>alice@example.com at <time datetime="2024-05-01T10:06:00.000Z">2024-05-01 10:06:00Z</time>: fine</li>',
    );
    expect(html).toContain('<dt>May decide</dt><dd>alice@example.com, bob@example.com</dd>');
  });

  it('asks to acknowledge acting alerts before an approval', () => {
    const html = page(
      aReleaseView({
        alerts: {
          checkedAt: NOW.toISOString(),
          firing: [
            {
              alertId: 'a1',
              rule: 'cpu-high',
              severity: 'Sev1',
              source: 'metric',
              firedAt: NOW.toISOString(),
              slots: ['blue'],
              acts: true,
              reason: 'on the production slot',
            },
          ],
        },
      }),
    );
    expect(html).toContain('name="acknowledgeAlerts" value="true" required');
    expect(html).toMatch(/Firing when approval was asked[\s\S]*cpu-high[\s\S]*Sev1[\s\S]*acts/);
  });

  it('shows each instance’s deploy output (open when it failed), verify per instance, alert decisions and rollback latencies', () => {
    const html = page(
      aReleaseView({
        status: 'RolledBack',
        phase: 'done',
        liveSlot: 'blue',
        deploy: {
          instances: [
            { instance: 'vm-0', exitCode: 0, succeeded: true, outputTail: 'deployed 2.0.1' },
            { instance: 'vm-1', exitCode: 10, succeeded: false, outputTail: 'download failed' },
          ],
          failed: 1,
          tolerated: 1,
        },
        verify: {
          url: 'http://10.0.0.5/health',
          attempts: 2,
          ok: true,
          instances: [
            { instance: 'vm-0', address: '10.0.1.4', ok: true, version: '2.0.1', detail: 'healthy' },
          ],
        },
        alerts: {
          decisions: [
            {
              deliveryId: 'd1',
              alertId: 'a1',
              rule: 'errors',
              severity: 'Sev2',
              source: 'metric',
              firedAt: NOW.toISOString(),
              receivedAt: NOW.toISOString(),
              monitorCondition: 'Fired',
              slots: ['green'],
              acts: true,
              reason: 'rollback to blue',
            },
          ],
        },
        rollback: {
          trigger: 'alert',
          alert: {
            alertId: 'a1',
            rule: 'errors',
            severity: 'Sev2',
            targetResourceIds: [],
            firedAt: NOW.toISOString(),
          },
          requestedAt: NOW.toISOString(),
          trafficBackAt: NOW.toISOString(),
          latencyMs: 1250,
          reactionMs: 40,
          attempts: 1,
        },
      }),
    );
    expect(html).toMatch(
      /<details id="output-0"><summary>output<\/summary><pre>deployed 2\.0\.1<\/pre><\/details>/,
    );
    expect(html).toMatch(
      /<details id="output-1" open><summary>output<\/summary><pre>download failed<\/pre><\/details>/,
    );
    expect(html).toMatch(/10\.0\.1\.4[\s\S]*2\.0\.1/);
    expect(html).toMatch(
      /Received during the bake[\s\S]*errors[\s\S]*Fired[\s\S]*acts[\s\S]*rollback to blue/,
    );
    expect(html).toContain('<dt>Alert fired to traffic back</dt><dd>1.3 s</dd>');
    expect(html).toContain('<dt>Alert received to traffic back</dt><dd>40 ms</dd>');
    expect(html).toContain('<span class="badge b-RolledBack">RolledBack</span> traffic on blue');
  });

  it("names each target's traffic provider after its live slot, escaped; none when unnamed", () => {
    const target = {
      name: 'web-prod',
      liveSlot: 'green',
      slots: [],
      running: null,
      frozen: false,
      freeze: null,
    };
    const html = renderDashboard({
      identity: 'alice@example.com',
      targets: [
        { ...target, traffic: 'Edge <1>' },
        { ...target, name: 'api' },
      ],
      releases: [],
      filter: { limit: 10 },
      self: '/api/console?limit=10',
    });
    expect(html).toContain(
      '<caption class="muted">Live slot as each target\'s traffic provider (in brackets) has it now; builds as the releases deployed them</caption>',
    );
    expect(html).toContain(
      '<th scope="row">web-prod</th><td>green <span class="muted">(Edge &lt;1&gt;)</span></td>',
    );
    expect(html).toContain('<th scope="row">api</th><td>green</td>');
  });

  it('renders the dashboard: targets with live slot and builds, the list with its filters and next page', () => {
    const html = renderDashboard({
      identity: 'alice@example.com',
      targets: [
        {
          name: 'web-prod',
          liveSlot: 'green',
          slots: [
            { name: 'blue', build: aBuild({ number: '1.0.0' }), release: 'web-prod-b1' },
            { name: 'green', build: aBuild({ number: '2.0.0' }), release: 'web-prod-b2' },
          ],
          running: {
            id: 'web-prod-b3',
            status: 'Running',
            phase: 'deploying',
            build: aBuild({ number: '3.0.0' }),
          },
          frozen: false,
          freeze: null,
          lastFreeze: {
            by: 'bob@example.com',
            authenticated: true,
            at: '2026-01-01T08:00:00.000Z',
            since: '2026-01-01T08:00:00.000Z',
            reason: 'db failover',
            until: '2026-01-01T09:00:00.000Z',
            endedAt: '2026-01-01T09:00:00.000Z',
            endedBy: 'schedule',
          },
        },
        {
          name: 'api',
          liveSlot: null,
          liveSlotProblem: 'both slot endpoints are enabled in /subscriptions/x',
          slots: [
            { name: 'blue', build: null, release: null },
            { name: 'green', build: null, release: null },
          ],
          running: null,
          frozen: true,
          freeze: {
            by: 'carol@example.com',
            authenticated: true,
            at: '2026-01-01T10:00:00.000Z',
            since: '2026-01-01T09:30:00.000Z',
            reason: 'incident <4711>',
            until: '2026-01-01T12:00:00.000Z',
          },
        },
      ],
      releases: [aReleaseView()],
      filter: { target: 'web-prod', status: 'Running', limit: 10 },
      nextPage: '/api/console?target=web-prod&status=Running&limit=20',
      self: '/api/console?target=web-prod&status=Running&limit=10',
    });
    expect(html).toContain(
      '<span class="slot live"><strong>green</strong> (live): <a href="/api/console/releases/web-prod-b2">2.0.0</a></span>',
    );
    expect(html).toContain('<a href="/api/console/releases/web-prod-b3">web-prod-b3</a>');
    expect(html).toContain(
      '<th scope="row">api <span class="badge b-Failed">Frozen</span></th><td><span class="o-failed">unknown</span> <span class="muted">both slot endpoints are enabled in /subscriptions/x</span>',
    );
    expect(html).toContain('<strong>blue</strong>: <span class="muted">no release on record</span>');
    // A frozen target: who, since when, until when, why (escaped), and the unfreeze form; the other: the freeze form.
    expect(html).toContain(
      '<p><span class="badge b-Failed">Frozen</span> by <strong>carol@example.com</strong> since <time datetime="2026-01-01T09:30:00.000Z">2026-01-01 09:30:00Z</time>, until <time datetime="2026-01-01T12:00:00.000Z">2026-01-01 12:00:00Z</time></p><p class="reason">incident &lt;4711&gt;</p>',
    );
    expect(html).toContain(
      '<form method="post" action="/api/console/targets/api/unfreeze" aria-label="Unfreeze api">',
    );
    expect(html).toContain(
      '<form class="freeze" method="post" action="/api/console/targets/web-prod/freeze" aria-label="Freeze web-prod"><label for="freeze-reason-web-prod">Reason</label><input type="text" id="freeze-reason-web-prod" name="reason" maxlength="500" required>',
    );
    expect(html).toContain('Last frozen by bob@example.com (db failover); ended at its end time');
    expect(html).not.toContain('action="/api/console/targets/api/freeze"');
    expect(html).toContain('<option value="web-prod" selected>web-prod</option>');
    expect(html).toContain('<option value="Running" selected>Running</option>');
    expect(html).toContain(
      'href="/api/console?target=web-prod&amp;status=Running&amp;limit=20">Next page</a>',
    );
    expect(html).toContain('data-poll="/api/console?target=web-prod&amp;status=Running&amp;limit=10"');
    expect(html).toContain('<span class="badge b-awaiting">Awaiting approval</span>');
  });

  it('says what is wrong on a message page, escaped', () => {
    const html = renderConsoleMessage({
      title: 'Sign-in required',
      message: '<b>x</b>',
      link: { href: '/.auth/login/aad', label: 'Sign in' },
    });
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(html).toContain('<a href="/.auth/login/aad">Sign in</a>');
  });
});
