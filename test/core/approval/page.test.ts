import { createHash } from 'node:crypto';
import {
  APPROVAL_PAGE_HEADERS,
  escapeHtml,
  renderApprovalPage,
  renderResultPage,
} from '../../../src/core/approval/page';
import { aReleaseView } from '../../builders/release';
import { aBuild, aFreeze } from '../../builders/target';

const HOSTILE = `<script>alert("x")</script>' onmouseover='steal()`;

function view(
  overrides: Partial<Parameters<typeof renderApprovalPage>[0]> = {},
): Parameters<typeof renderApprovalPage>[0] {
  return {
    release: aReleaseView(),
    decision: 'approve',
    token: 'tok.en',
    postUrl: '/api/approvals/decide',
    ...overrides,
  };
}

describe('renderApprovalPage', () => {
  it('describes the release: target, build, pipeline, branch, commit, slots, verification, expiry', () => {
    const html = renderApprovalPage(view());
    for (const text of [
      'Approve release web-prod-b1234',
      'web-prod',
      '20240501.3',
      'web-ci',
      'refs/heads/main',
      '6e12f6141917f66a2964af55952ee33914d2d91f',
      'Staging slot (new build)</dt><dd>green',
      'Production slot (serving now)</dt><dd>blue',
      'passed, reports version 20240501.3',
      '2024-05-02T10:00:00.000Z',
    ]) {
      expect(html).toContain(text);
    }
  });

  it('has a POST form with token, approver and comment fields', () => {
    const html = renderApprovalPage(view());
    expect(html).toContain('<form method="post" action="/api/approvals/decide">');
    expect(html).toContain('<input type="hidden" name="token" value="tok.en">');
    expect(html).toContain('name="approver"');
    expect(html).toContain('name="comment"');
    expect(html).toContain('<button type="submit" class="approve">Approve</button>');
  });

  it('asks no approver name when App Service authentication knows the principal', () => {
    const html = renderApprovalPage(view({ principal: 'alice@contoso.com' }));
    expect(html).toContain('Deciding as <strong>alice@contoso.com</strong>');
    expect(html).not.toContain('name="approver"');
  });

  it('says what rejecting does', () => {
    const html = renderApprovalPage(view({ decision: 'reject' }));
    expect(html).toContain('Reject release web-prod-b1234');
    expect(html).toContain('production is not touched');
    expect(html).toContain('class="reject">Reject</button>');
  });

  it('shows no form once decided, or when the link cannot be used', () => {
    const decided = renderApprovalPage(view({ alreadyDecided: 'Already approved by bob.' }));
    expect(decided).toContain('Already approved by bob.');
    expect(decided).not.toContain('<form');
    const broken = renderApprovalPage(view({ error: 'This link has expired.' }));
    expect(broken).toContain('This link has expired.');
    expect(broken).not.toContain('<form');
  });

  it('on a frozen target says who froze it, since and until when, why, and that approving is refused until it is unfrozen', () => {
    const frozen = aFreeze({ reason: 'incident <4711>' });
    const approve = renderApprovalPage(view({ frozen }));
    expect(approve).toContain(
      '<p class="notice error"><strong>Target frozen:</strong> target &#39;web-prod&#39; is frozen by carol@example.com ' +
        'since 2024-05-01T10:02:00.000Z until 2024-05-01T12:00:00.000Z: incident &lt;4711&gt;. ' +
        'Approving will be refused until it is unfrozen; a reject is still taken.</p>',
    );
    // The link outlives the freeze: the form stays.
    expect(approve).toContain('<button type="submit" class="approve">Approve</button>');
    const open = renderApprovalPage(view({ frozen: aFreeze({ until: undefined }) }));
    expect(open).toContain(
      'is frozen by carol@example.com since 2024-05-01T10:02:00.000Z until someone unfreezes it',
    );
    const reject = renderApprovalPage(view({ decision: 'reject', frozen }));
    expect(reject).toContain('Approvals are refused until it is unfrozen; a reject is still taken.</p>');
    expect(renderApprovalPage(view())).not.toContain('Target frozen');
  });

  it('escapes every value that comes from outside', () => {
    const release = aReleaseView({
      id: HOSTILE,
      target: HOSTILE,
      stagingSlot: HOSTILE,
      build: aBuild({
        number: HOSTILE,
        pipeline: HOSTILE,
        branch: HOSTILE,
        commit: HOSTILE,
        requestedBy: HOSTILE,
        url: HOSTILE,
      }),
    });
    const html = renderApprovalPage(view({ release, token: `"><img src=x>`, principal: HOSTILE }));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(`' onmouseover='`);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;steal()');
    const errorPage = renderApprovalPage(view({ error: HOSTILE }));
    expect(errorPage).not.toContain('<script>');
    expect(renderApprovalPage(view({ alreadyDecided: HOSTILE }))).not.toContain('<script>');
  });

  it('refuses a javascript: or protocol-relative post URL', () => {
    expect(() => renderApprovalPage(view({ postUrl: 'javascript:alert(1)' }))).toThrow(/postUrl/);
    expect(() => renderApprovalPage(view({ postUrl: '//evil.example.com/x' }))).toThrow(/postUrl/);
    expect(renderApprovalPage(view({ postUrl: 'https://release.example.com/api/x?a=1&b=2' }))).toContain(
      'action="https://release.example.com/api/x?a=1&amp;b=2"',
    );
  });

  it('loads nothing external and runs no script', () => {
    const html = renderApprovalPage(view());
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
  });

  it('shows a failed verification prominently', () => {
    const html = renderApprovalPage(
      view({ release: aReleaseView({ verify: { version: undefined, attempts: 10, ok: false } }) }),
    );
    expect(html).toContain('FAILED (10 attempts, http://10.0.0.5/health)');
  });
});

describe('renderResultPage', () => {
  it('shows the outcome and the release, escaped', () => {
    const html = renderResultPage({
      outcome: 'approved',
      title: 'Approved',
      message: `by ${HOSTILE}`,
      release: aReleaseView(),
    });
    expect(html).toContain('<h1>Approved</h1>');
    expect(html).toContain('class="notice ok"');
    expect(html).toContain('web-prod-b1234');
    expect(html).not.toContain('<script>');
  });

  it('marks a refused decision as an error', () => {
    expect(renderResultPage({ outcome: 'refused', title: 'Not accepted', message: 'expired' })).toContain(
      'class="notice error"',
    );
  });
});

describe('APPROVAL_PAGE_HEADERS', () => {
  it('forbids caching, indexing, referrers and framing', () => {
    expect(APPROVAL_PAGE_HEADERS).toMatchObject({
      'Cache-Control': 'no-store',
      'X-Robots-Tag': 'noindex, nofollow',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Content-Type': 'text/html; charset=utf-8',
    });
    expect(Object.isFrozen(APPROVAL_PAGE_HEADERS)).toBe(true);
  });

  it("has a strict CSP whose style hash matches the page's only style block", () => {
    const csp = APPROVAL_PAGE_HEADERS['Content-Security-Policy'] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const css = /<style>([^<]*)<\/style>/.exec(renderApprovalPage(view()))?.[1] as string;
    const hash = createHash('sha256').update(css).digest('base64');
    expect(csp).toContain(`style-src 'sha256-${hash}'`);
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters and renders nullish as empty', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(5)).toBe('5');
  });
});

describe('firing alerts on the approval page', () => {
  const firing = (over: Record<string, unknown> = {}) => ({
    alertId: '/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/a1',
    rule: 'web-5xx',
    severity: 'Sev1',
    source: 'metric' as const,
    firedAt: '2024-05-01T09:00:00Z',
    slots: ['blue'],
    acts: true,
    reason: 'firing',
    ...over,
  });

  it('lists them, escaped, and asks for the acknowledgement checkbox before approving', () => {
    const release = aReleaseView({
      alerts: {
        firing: [
          firing({ rule: HOSTILE }),
          firing({
            rule: 'disk',
            severity: 'Sev4',
            acts: false,
            reason: 'severity Sev4 is below Sev2',
            slots: [],
          }),
        ],
        firingTotal: 3,
        checkedAt: '2024-05-01T10:00:00Z',
      },
    });
    const html = renderApprovalPage(view({ release }));
    expect(html).toContain('Alerts firing on web-prod');
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(html).not.toContain('<script>');
    expect(html).toContain('Sev1, slot blue');
    expect(html).toContain('(severity Sev4 is below Sev2)');
    expect(html).toContain('1 more not shown');
    expect(html).toContain('<input type="checkbox" name="acknowledgeAlerts" value="true" required>');
  });

  it('a reject page lists them but needs no acknowledgement; a page without alerts shows neither', () => {
    const release = aReleaseView({ alerts: { firing: [firing()], firingTotal: 1 } });
    const reject = renderApprovalPage(view({ release, decision: 'reject' }));
    expect(reject).toContain('web-5xx');
    expect(reject).not.toContain('acknowledgeAlerts');
    const plain = renderApprovalPage(view());
    expect(plain).not.toContain('Alerts firing');
    expect(plain).not.toContain('acknowledgeAlerts');
  });

  it('when the alerts could not be listed, says so and asks for the acknowledgement too', () => {
    const release = aReleaseView({
      alerts: { firing: [], checkError: 'firing alerts could not be listed: 503' },
    });
    const html = renderApprovalPage(view({ release }));
    expect(html).toContain('Firing alerts could not be checked');
    expect(html).toContain('name="acknowledgeAlerts"');
  });
});
