/**
 * The composition root from the settings a user starts with: `local.settings.sample.json`'s values build the
 * whole app (every factory choosing from them), and a broken value is refused with one error naming it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { buildAppDeps } from '../src/composition';
import { TRAFFIC_PROVIDERS } from '../src/adapters/traffic/factory';
import { verifyApprovalToken } from '../src/core/approval/token';
import { loadConfig } from '../src/core/config';
import { ValidationError } from '../src/core/errors';
import { noCutoverObserver } from '../src/core/ports/cutover';
import { aReleaseView } from './builders/release';
import { memoryLogger } from './support/appHost';

/** The sample's `Values` as shipped, placeholders and all. */
function shippedValues(): Record<string, string> {
  const path = join(__dirname, '..', 'local.settings.sample.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { Values: Record<string, string> }).Values;
}

/**
 * The sample's `Values` with its placeholders filled in as the README asks (`RELEASE_TARGETS` with the user's
 * subscription and storage account), as `func start` puts them into the environment; `overrides` change or
 * (undefined) remove settings.
 */
function sampleEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(shippedValues())) {
    env[k] = v
      .replaceAll('<subscription-id>', '00000000-0000-0000-0000-000000000000')
      .replaceAll('<storage-account>', 'stwebappreleases');
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** A logger whose lines are kept, and a credential that refuses (a call that reaches it proves Azure was asked). */
function world() {
  const log = memoryLogger();
  const credentialAsked: string[] = [];
  const credential = (): TokenCredential => ({
    getToken: (scopes) => {
      credentialAsked.push([scopes].flat().join(' '));
      return Promise.reject(new Error('no Azure credential in tests'));
    },
  });
  return { lines: log.lines, credentialAsked, options: { log, credential } };
}

const SCOPE = { resourceIds: ['/subscriptions/s/resourceGroups/rg/providers/x/y/z'], ruleNames: [] };

describe('buildAppDeps from local.settings.sample.json', () => {
  it('builds every adapter from the sample, frozen, without building a credential or calling anything', () => {
    const env = sampleEnv();
    const w = world();
    const deps = buildAppDeps(loadConfig(env, TRAFFIC_PROVIDERS), env, w.options);

    expect(Object.isFrozen(deps.config)).toBe(true);
    expect(deps.config.targets.map((t) => t.name)).toEqual(['webapp']);
    expect(deps.config.publicBaseUrl).toBe('http://127.0.0.1:7071');
    expect(deps.trafficName('trafficManager')).toMatch(/Traffic Manager/);
    expect(deps.activities.cutover).toBe(noCutoverObserver);
    expect(w.credentialAsked).toEqual([]);
    // NOTIFY_WEBHOOK_URL is "" in the sample: the no-op notifier, which says so once, when built.
    expect(
      w.lines.some((l) => l.includes('notifications are not configured (NOTIFY_WEBHOOK_URL is not set)')),
    ).toBe(true);
  });

  it('notifies through the log only: the approval links are redacted, nothing is sent', async () => {
    const env = sampleEnv();
    const w = world();
    const deps = buildAppDeps(loadConfig(env, TRAFFIC_PROVIDERS), env, w.options);
    const links = deps.activities.links.issue({
      releaseId: 'webapp-b42',
      round: 'r1',
      expiresAt: '2030-01-01T00:00:00.000Z',
    });
    const release = aReleaseView({
      id: 'webapp-b42',
      target: 'webapp',
      approval: { required: true, pending: true, approveUrl: links.approveUrl, rejectUrl: links.rejectUrl },
    });
    await deps.activities.notifier.notify('awaiting-approval', release);
    const line = w.lines.find((l) => l.includes('notify awaiting-approval'));
    expect(line).toBeDefined();
    expect(line).not.toContain(links.approveUrl);
    expect(w.credentialAsked).toEqual([]);
  });

  it('signs approval links under PUBLIC_BASE_URL with APPROVAL_SIGNING_KEY', () => {
    const env = sampleEnv();
    const deps = buildAppDeps(loadConfig(env, TRAFFIC_PROVIDERS), env, world().options);
    const { approveUrl, rejectUrl } = deps.activities.links.issue({
      releaseId: 'webapp-b42',
      round: 'r1',
      expiresAt: '2030-01-01T00:00:00.000Z',
    });
    expect(approveUrl.startsWith('http://127.0.0.1:7071/api/approvals/webapp-b42/approve?token=')).toBe(true);
    expect(rejectUrl.startsWith('http://127.0.0.1:7071/api/approvals/webapp-b42/reject?token=')).toBe(true);
    const token = new URL(approveUrl).searchParams.get('token')!;
    const claims = verifyApprovalToken(env.APPROVAL_SIGNING_KEY!, token, new Date('2029-01-01T00:00:00Z'));
    expect(claims).toMatchObject({ releaseId: 'webapp-b42', decision: 'approve', nonce: 'r1' });
    expect(() =>
      verifyApprovalToken('another-signing-key-0123456789abcdef', token, new Date('2029-01-01')),
    ).toThrow();
  });

  it('polls Alerts Management at the sample ARM_ENDPOINT, and at the default one when it is unset', async () => {
    const context = {
      trafficResource:
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/tm',
    };
    const asked = async (env: NodeJS.ProcessEnv): Promise<string[]> => {
      const w = world();
      const deps = buildAppDeps(loadConfig(env, TRAFFIC_PROVIDERS), env, w.options);
      // The alert source is the backstop poll: it asks the credential for an ARM token before any request.
      await expect(deps.activities.alerts.firing(SCOPE, context)).rejects.toThrow(
        /no Azure credential in tests/,
      );
      return w.credentialAsked;
    };
    expect(await asked(sampleEnv())).toEqual(['https://management.azure.com/.default']);
    expect(await asked(sampleEnv({ ARM_ENDPOINT: undefined }))).toEqual([
      'https://management.azure.com/.default',
    ]);
    // A sovereign cloud: the token is asked for that cloud's ARM.
    expect(await asked(sampleEnv({ ARM_ENDPOINT: 'https://management.usgovcloudapi.net/' }))).toEqual([
      'https://management.usgovcloudapi.net/.default',
    ]);
  });

  it('refuses the sample as shipped, naming the placeholder left in RELEASE_TARGETS', () => {
    expect(() => loadConfig({ ...shippedValues() }, TRAFFIC_PROVIDERS)).toThrow(
      /RELEASE_TARGETS\[0\]\.artifactUrlTemplate: artifactUrlTemplate must be an absolute http\(s\) URL template/,
    );
  });

  it('refuses broken sample values with one error naming each, before anything is built', () => {
    const env = sampleEnv({
      RETENTION_DAYS: '0',
      SERVICE_HOOK_SECRET: 'short',
      PUBLIC_BASE_URL: 'not a url',
    });
    let thrown: unknown;
    try {
      loadConfig(env, TRAFFIC_PROVIDERS);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    const paths = (thrown as ValidationError).problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['RETENTION_DAYS', 'SERVICE_HOOK_SECRET', 'PUBLIC_BASE_URL']),
    );
    const message = (thrown as Error).message;
    expect(message).toContain('RETENTION_DAYS: must be a whole number of days from 1 to 3650');
    expect(message).toContain('SERVICE_HOOK_SECRET: must be at least 16 characters');
  });
});
