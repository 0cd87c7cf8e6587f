import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createNotifier,
  detectNotifyKind,
  webhookPayload,
  type NotificationBody,
} from '../../../src/adapters/http/webhookNotifier';
import type { ReleaseView } from '../../../src/core/domain';
import { loadFixture } from '../../builders/payloads';
import { aReleaseView } from '../../builders/release';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- payload walking

const APPROVE = 'https://release.example.com/api/approvals/web-prod-b101/approve?token=a.b';
const REJECT = 'https://release.example.com/api/approvals/web-prod-b101/reject?token=c.d';
const MIXED = '5 of 6 instances on 2.0.1; 1 still on 1.9.7';

function awaiting(overrides: Partial<ReleaseView> = {}): ReleaseView {
  return {
    ...aReleaseView({ phase: 'awaiting-approval', stagingSlot: 'green', liveSlot: 'blue' }),
    approval: { required: true, approveUrl: APPROVE, rejectUrl: REJECT, expiresAt: '2024-05-02T10:00:00Z' },
    warnings: [{ code: 'mixed-versions', message: MIXED, instances: ['green-vm5'] }],
    ...overrides,
  };
}

/** Keys and value types of an object, for comparing a body's shape with a published sample. */
const shape = (o: Json): Record<string, string> =>
  Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k, v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v]),
  );

describe('Teams Workflows webhook (Adaptive Card)', () => {
  const published = loadFixture('notify/teams-workflows-adaptive-card.json') as Json;
  const body = webhookPayload('teams', 'awaiting-approval', awaiting()) as Json;
  const card = body.attachments[0].content as Json;

  it('has the envelope of the published sample: a message with one Adaptive Card attachment', () => {
    expect(shape(body)).toEqual(shape(published));
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    expect(shape(body.attachments[0])).toEqual(shape(published.attachments[0]));
    expect(body.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card).toMatchObject({
      $schema: published.attachments[0].content.$schema,
      type: 'AdaptiveCard',
      version: expect.stringMatching(/^1\.\d$/),
    });
    for (const element of card.body) expect(typeof element.type).toBe('string');
  });

  it('carries approve and reject as Action.OpenUrl buttons, and the warnings as text', () => {
    expect(card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Approve', url: APPROVE, style: 'positive' },
      { type: 'Action.OpenUrl', title: 'Reject', url: REJECT, style: 'destructive' },
    ]);
    expect(JSON.stringify(card.body)).toContain(MIXED);
    expect(card.body).toContainEqual(expect.objectContaining({ type: 'FactSet' }));
  });

  it('has no buttons when there is nothing to decide', () => {
    const done = webhookPayload(
      'teams',
      'succeeded',
      awaiting({ status: 'Succeeded', phase: 'done' }),
    ) as Json;
    expect(done.attachments[0].content.actions).toBeUndefined();
    expect(JSON.stringify(done)).toContain(MIXED);
  });
});

describe('Slack incoming webhook (blocks)', () => {
  const published = loadFixture('notify/slack-incoming-webhook-blocks.json') as Json;
  const body = webhookPayload('slack', 'awaiting-approval', awaiting()) as Json;

  it('has the fields of the published sample: fallback text and blocks', () => {
    expect(shape(body)).toEqual(shape(published));
    expect(body.text).toContain('awaits approval');
    const types = body.blocks.map((b: Json) => b.type);
    expect(types).toEqual(['header', 'section', 'section', 'actions']);
    const fields = body.blocks[1].fields as Json[];
    expect(fields.length).toBeLessThanOrEqual(10);
    for (const f of fields) expect(shape(f)).toEqual(shape(published.blocks[1].fields[0]));
    expect(body.blocks[0].text.text.length).toBeLessThanOrEqual(150);
  });

  it('carries approve and reject as link buttons shaped like the published button, and the warning', () => {
    const buttons = body.blocks.at(-1).elements as Json[];
    const sample = published.blocks.at(-1).elements[0];
    for (const b of buttons) expect(shape(b)).toEqual(shape(sample));
    expect(buttons.map((b) => [b.text.text, b.url, b.style])).toEqual([
      ['Approve', APPROVE, 'primary'],
      ['Reject', REJECT, 'danger'],
    ]);
    expect(body.blocks[2].text.text).toBe(`:warning: ${MIXED}`);
  });

  it('escapes Slack control characters in values', () => {
    const hostile = awaiting({ build: { ...awaiting().build, number: '1.0 <!channel> & co' } });
    // mrkdwn fields interpret `<!channel>`; the plain_text header does not.
    const text = JSON.stringify((webhookPayload('slack', 'succeeded', hostile) as Json).blocks[1]);
    expect(text).toContain('&lt;!channel&gt; &amp; co');
    expect(text).not.toContain('<!channel>');
  });
});

describe('plain JSON webhook', () => {
  it('keeps the body for anything else, with the warnings and, for approvals, the links', () => {
    const body = webhookPayload('json', 'awaiting-approval', awaiting()) as NotificationBody;
    expect(body).toMatchObject({
      kind: 'awaiting-approval',
      release: {
        id: 'web-prod-b1234',
        approveUrl: APPROVE,
        rejectUrl: REJECT,
        warnings: [{ code: 'mixed-versions', message: MIXED }],
      },
    });
  });
});

describe('kind by URL', () => {
  it.each([
    ['https://hooks.slack.com/services/T000/B000/XXXX', 'slack'],
    [
      'https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x',
      'teams',
    ],
    [
      'https://default1234.56.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc',
      'teams',
    ],
    ['https://hooks.example.com/release', 'json'],
  ])('%s → %s', (url, kind) => {
    expect(detectNotifyKind(url)).toBe(kind);
  });
});

describe('createNotifier', () => {
  it('posts the body of the configured kind, overriding detection; never logs the links', async () => {
    const received: Json[] = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(text) as Json);
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warn: () => undefined, error: () => undefined };
    try {
      await createNotifier({ url, kind: 'teams' }, log).notify('awaiting-approval', awaiting());
      await createNotifier({ url }, log).notify('awaiting-approval', awaiting());
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(received[0]!.type).toBe('message');
    expect(received[1]!.kind).toBe('awaiting-approval'); // a loopback URL is detected as plain JSON
    expect(lines.join('\n')).not.toContain('token=');
  });

  it('without a URL only logs (the no-op notifier)', async () => {
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warn: () => undefined, error: () => undefined };
    await createNotifier({}, log).notify('succeeded', awaiting({ status: 'Succeeded' }));
    expect(lines).toHaveLength(1);
  });
});

describe('what notifications say about approvers and manual rollbacks', () => {
  it('an approval request names the quorum and who may decide', () => {
    const body = webhookPayload(
      'json',
      'awaiting-approval',
      awaiting({
        approval: {
          required: true,
          approveUrl: APPROVE,
          rejectUrl: REJECT,
          expiresAt: '2024-05-02T10:00:00Z',
          approvers: ['alice@contoso.com', 'bob@contoso.com'],
          minApprovers: 2,
        },
      }),
    ) as NotificationBody;
    expect(body.text).toContain(
      'awaits approval until 2024-05-02T10:00:00Z (2 approvals from alice@contoso.com, bob@contoso.com, signed in)',
    );
  });

  it('a manual rollback says who asked for it and why', () => {
    const body = webhookPayload('json', 'rolled-back', {
      ...aReleaseView({ status: 'RolledBack', liveSlot: 'blue' }),
      rollback: {
        trigger: 'manual',
        requestedBy: 'oncall@contoso.com',
        reason: 'payments errors',
        requestedAt: '2024-05-02T10:00:00Z',
      },
    }) as NotificationBody;
    expect(body.text).toMatch(
      /was rolled back \(manual, requested by oncall@contoso\.com: payments errors\); traffic is on blue again/,
    );
    expect(body.release.rollback).toMatchObject({ reason: 'payments errors' });
  });
});

describe('the swapped notice', () => {
  it('says which slot is live, that the previous build waits on the other, and how to roll back by hand', () => {
    const view = aReleaseView({
      phase: 'swapping',
      productionSlot: 'blue',
      stagingSlot: 'green',
      liveSlot: 'green',
    });
    const body = webhookPayload('json', 'swapped', view) as Json;
    expect(body.text).toBe(
      `${view.target} build ${view.build.number} (${view.id}) is live on green; blue still holds the previous build. ` +
        `The bake watches alerts now; to roll back by hand: POST /api/releases/${view.id}/rollback`,
    );
    const teams = webhookPayload('teams', 'swapped', view) as Json;
    expect(JSON.stringify(teams)).toContain(`Release live: ${view.target} ${view.build.number}`);
    expect(teams.attachments[0].content.actions).toBeUndefined();
  });
});
