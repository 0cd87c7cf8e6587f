import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NotificationBody } from '../../../src/adapters/http/webhookNotifier';
import {
  createNotifiers,
  NOTIFIER_PROVIDERS,
  unreachableApprovals,
  type NotifierProvider,
} from '../../../src/adapters/notifiers/factory';
import { nopNotifier } from '../../../src/adapters/notifiers/nop';
import { ValidationError } from '../../../src/core/errors';
import type { NotificationKind, Notifier } from '../../../src/core/ports/notifier';
import { aReleaseView } from '../../builders/release';
import { aTarget } from '../../builders/target';
import { memoryLogger } from '../../support/appHost';

/** A loopback webhook that records the bodies posted to it. */
async function inbox(): Promise<{ url: string; received: NotificationBody[]; close(): Promise<void> }> {
  const received: NotificationBody[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as NotificationBody);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A provider selected by `notifyKind === name`, recording what it is told; `fails` makes it throw. */
function fake(name: string, told: string[], options: { fails?: boolean; problem?: string } = {}) {
  const provider: NotifierProvider = {
    name,
    configured: (s) => s.notifyKind?.split(',').includes(name) ?? false,
    problems: () => (options.problem ? [{ path: name, message: options.problem }] : []),
    create: (): Notifier => ({
      async notify(kind: NotificationKind) {
        told.push(`${name}:${kind}`);
        if (options.fails) throw new Error(`${name} is down`);
      },
    }),
  };
  return provider;
}

const levels = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { level: string }).level);

describe('the notifier factory', () => {
  it('picks the webhook notifier when NOTIFY_WEBHOOK_URL is set: the links go to the webhook, not the log', async () => {
    const hook = await inbox();
    const log = memoryLogger();
    try {
      const notifier = createNotifiers({ notifyWebhookUrl: hook.url, notifyKind: 'json' }, [aTarget()], log);
      await notifier.notify('awaiting-approval', aReleaseView());
      expect(hook.received).toHaveLength(1);
      expect(hook.received[0]?.release.approveUrl).toBe(
        'https://release.example.com/api/approvals/approve?token=t',
      );
      expect(log.lines.join('\n')).not.toContain('token=t');
      expect(log.lines.join('\n')).not.toContain('not configured');
    } finally {
      await hook.close();
    }
  });

  it('builds only the configured providers and tells each of them', async () => {
    const told: string[] = [];
    const providers = [fake('a', told), fake('b', told), fake('c', told)];
    await createNotifiers({ notifyKind: 'a,c' }, [], memoryLogger(), providers).notify(
      'succeeded',
      aReleaseView(),
    );
    expect(told).toEqual(['a:succeeded', 'c:succeeded']);
  });

  it('one failing notifier does not stop the others; its failure is rethrown for the Notify activity to log', async () => {
    const told: string[] = [];
    const providers = [fake('a', told, { fails: true }), fake('b', told)];
    await expect(
      createNotifiers({ notifyKind: 'a,b' }, [], memoryLogger(), providers).notify('failed', aReleaseView()),
    ).rejects.toThrow('a is down');
    expect(told).toEqual(['a:failed', 'b:failed']);
  });

  it('lists every problem of every configured provider in one error, and builds nothing', () => {
    const told: string[] = [];
    const providers = [fake('a', told, { problem: 'bad a' }), fake('b', told, { problem: 'bad b' })];
    let error: unknown;
    try {
      createNotifiers({ notifyKind: 'a,b' }, [], memoryLogger(), providers);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([
      { path: 'a', message: 'bad a' },
      { path: 'b', message: 'bad b' },
    ]);
    expect((error as Error).message).toBe('invalid notifier configuration: a: bad a; b: bad b');
  });

  it('refuses a webhook URL that is not http(s) and an unknown kind together, as config load does', () => {
    expect(() =>
      createNotifiers(
        { notifyWebhookUrl: 'mailto:ops@example.com', notifyKind: 'office365' },
        [],
        memoryLogger(),
      ),
    ).toThrow(
      'invalid notifier configuration: NOTIFY_WEBHOOK_URL: must be an absolute http(s) URL; ' +
        'NOTIFY_KIND: must be one of teams, slack, json',
    );
    expect(NOTIFIER_PROVIDERS.map((p) => p.name)).toEqual(['webhook']);
  });

  describe('with nothing configured: the no-op notifier', () => {
    it('warns once, when built, that notifications are off, and logs each one with its links redacted', async () => {
      const log = memoryLogger();
      const notifier = createNotifiers({}, [aTarget({ approval: { required: false } })], log);
      expect(log.lines).toHaveLength(1);
      expect(JSON.parse(log.lines[0] as string)).toEqual({
        level: 'warn',
        message: 'notifications are not configured (NOTIFY_WEBHOOK_URL is not set): they are only logged',
        data: { notifications: 'off', unreachableApprovals: [] },
      });
      await notifier.notify('awaiting-approval', aReleaseView());
      await notifier.notify('succeeded', aReleaseView({ status: 'Succeeded', phase: 'done' }));
      expect(levels(log.lines)).toEqual(['warn', 'info', 'info']);
      expect(log.lines[1]).toContain('notify awaiting-approval:');
      expect(log.lines[1]).toContain('<approval link>');
      expect(log.lines.join('\n')).not.toContain('token=t');
      expect(JSON.parse(log.lines[2] as string)).toMatchObject({
        releaseId: 'web-prod-b1234',
        target: 'web-prod',
        phase: 'done',
      });
    });

    it('names NOTIFY_KIND set without a URL as the reason', () => {
      const log = memoryLogger();
      createNotifiers({ notifyKind: 'teams' }, [], log);
      expect(log.lines[0]).toContain('NOTIFY_KIND is set but NOTIFY_WEBHOOK_URL is not');
    });

    it('logs an error for each approval request of a target whose links would reach no one', async () => {
      const log = memoryLogger();
      const targets = [
        aTarget({ name: 'web-prod' }),
        aTarget({ name: 'with-approvers', approval: { approvers: ['alice@contoso.com'] } }),
        aTarget({ name: 'no-approval', approval: { required: false } }),
      ];
      expect(unreachableApprovals(targets)).toEqual(['web-prod']);
      const notifier = createNotifiers({}, targets, log);
      expect(log.lines[0]).toContain('"unreachableApprovals":["web-prod"]');
      await notifier.notify('awaiting-approval', aReleaseView());
      await notifier.notify('awaiting-approval', aReleaseView({ id: 'a-2', target: 'with-approvers' }));
      await notifier.notify('succeeded', aReleaseView({ status: 'Succeeded' }));
      expect(levels(log.lines)).toEqual(['warn', 'info', 'error', 'info', 'info']);
      expect(JSON.parse(log.lines[2] as string)).toEqual({
        level: 'error',
        message:
          "release web-prod-b1234 awaits approval but its links reach no one: no notifier is configured and target 'web-prod' names no approvers; set NOTIFY_WEBHOOK_URL or approval.approvers",
        releaseId: 'web-prod-b1234',
        target: 'web-prod',
        phase: 'awaiting-approval',
      });
    });

    it('never throws, so a release is never failed by its notifications being off', async () => {
      const notifier = nopNotifier(memoryLogger(), { reason: 'test', unreachableApprovals: ['web-prod'] });
      await expect(notifier.notify('awaiting-approval', aReleaseView())).resolves.toBeUndefined();
    });
  });
});
