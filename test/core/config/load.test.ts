import { TRAFFIC_PROVIDERS } from '../../../src/adapters/traffic/factory';
import { findTarget, getConfig as getConfigWith, resetConfigCache } from '../../../src/core/config/load';

const getConfig = (): ReturnType<typeof getConfigWith> => getConfigWith(TRAFFIC_PROVIDERS);
import { SETTINGS } from '../../../src/settings';
import { ValidationError } from '../../../src/core/errors';
import {
  TEST_SECRETS,
  aConfig,
  aTarget,
  aTargetInput,
  aValidEnv,
  ids,
  loadConfig,
} from '../../builders/target';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ValidationError');
}

/** Problems of a single target given as operator JSON. */
function targetProblems(target: Record<string, unknown>): string[] {
  return problemsOf(aValidEnv({}, [target]));
}

describe('loadConfig: a valid configuration', () => {
  it('applies every default, giving exactly aTarget()', () => {
    const config = loadConfig(aValidEnv());
    expect(config.targets).toEqual([aTarget()]);
    expect(config).toMatchObject({
      serviceHookSecret: TEST_SECRETS.serviceHook,
      approvalSigningKey: TEST_SECRETS.signingKey,
      publicBaseUrl: 'https://release.example.com',
      armEndpoint: 'https://management.azure.com',
      armScope: 'https://management.azure.com/.default',
    });
    expect(config.azureClientId).toBeUndefined();
    expect(config.notifyWebhookUrl).toBeUndefined();
  });

  it('keeps explicit values over defaults', () => {
    const input = aTargetInput({
      deploy: {
        scriptKind: 'windows',
        parameters: { ServiceName: 'web', Version: '{number}' },
        maxParallel: 2,
        maxFailures: 1,
        timeoutSeconds: 60,
      },
      health: {
        path: '/version',
        versionField: 'build.version',
        expectVersion: '{pipeline}-{number}',
        attempts: 3,
        intervalSeconds: 1.5,
        timeoutSeconds: 2,
      },
      approval: { required: false, timeoutSeconds: 600, approvers: ['alice@contoso.com'] },
      bakeSeconds: 0,
      alerts: { resourceIds: [ids.resourceGroup()], ruleNames: ['web-5xx'] },
      filters: { pipelines: ['web-ci'], branches: ['main'] },
    });
    const [target] = loadConfig(aValidEnv({}, [input])).targets;
    expect(target).toEqual(
      aTarget({
        deploy: {
          scriptKind: 'windows',
          parameters: { ServiceName: 'web', Version: '{number}' },
          maxParallel: 2,
          maxFailures: 1,
          timeoutSeconds: 60,
        },
        health: {
          path: '/version',
          versionHeader: undefined,
          versionField: 'build.version',
          expectVersion: '{pipeline}-{number}',
          attempts: 3,
          intervalSeconds: 1.5,
          timeoutSeconds: 2,
        },
        approval: { required: false, timeoutSeconds: 600, approvers: ['alice@contoso.com'] },
        bakeSeconds: 0,
        alerts: { resourceIds: [ids.resourceGroup()], ruleNames: ['web-5xx'] },
        filters: { pipelines: ['web-ci'], branches: ['main'] },
      }),
    );
  });

  it('accepts listed VMs and VMs selected by tag', () => {
    const input = aTargetInput({
      slots: [
        {
          name: 'blue',
          compute: { kind: 'vms', resourceIds: [ids.vm('web-b1'), ids.vm('web-b2')] },
          healthBaseUrl: 'http://10.0.0.4:8080',
        },
        {
          name: 'green',
          compute: {
            kind: 'vmTag',
            resourceGroupId: ids.resourceGroup(),
            tagName: 'slot',
            tagValue: 'green',
          },
        },
      ],
    });
    expect(loadConfig(aValidEnv({}, [input])).targets[0]?.slots[1].compute).toEqual({
      kind: 'vmTag',
      resourceGroupId: ids.resourceGroup(),
      tagName: 'slot',
      tagValue: 'green',
    });
  });

  it('derives PUBLIC_BASE_URL from WEBSITE_HOSTNAME and ARM_SCOPE from ARM_ENDPOINT', () => {
    const config = loadConfig(
      aValidEnv({
        PUBLIC_BASE_URL: undefined,
        WEBSITE_HOSTNAME: 'func-rel.azurewebsites.net',
        ARM_ENDPOINT: 'https://127.0.0.1:8443/',
      }),
    );
    expect(config.publicBaseUrl).toBe('https://func-rel.azurewebsites.net');
    expect(config.armEndpoint).toBe('https://127.0.0.1:8443');
    expect(config.armScope).toBe('https://127.0.0.1:8443/.default');
  });

  it('reads the optional settings and strips a trailing slash from the base URL', () => {
    const config = loadConfig(
      aValidEnv({
        PUBLIC_BASE_URL: 'http://127.0.0.1:7071/',
        ARM_SCOPE: 'https://management.core.usgovcloudapi.net/.default',
        AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
        NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/x',
      }),
    );
    expect(config).toMatchObject({
      publicBaseUrl: 'http://127.0.0.1:7071',
      armScope: 'https://management.core.usgovcloudapi.net/.default',
      azureClientId: '00000000-0000-0000-0000-000000000001',
      notifyWebhookUrl: 'https://hooks.example.com/x',
    });
  });

  it('treats empty settings as unset', () => {
    expect(loadConfig(aValidEnv({ AZURE_CLIENT_ID: '', ARM_ENDPOINT: '  ' })).armEndpoint).toBe(
      'https://management.azure.com',
    );
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig(aValidEnv());
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.targets)).toBe(true);
    expect(Object.isFrozen(config.targets[0]?.slots[0].compute)).toBe(true);
    expect(() => {
      (config.targets[0]!.deploy as { maxParallel: number }).maxParallel = 99;
    }).toThrow(TypeError);
  });

  it('is what the aConfig builder returns', () => {
    expect(aConfig()).toEqual(loadConfig(aValidEnv()));
  });

  it('finds targets by name', () => {
    const config = loadConfig(aValidEnv({}, [aTargetInput(), aTargetInput({ name: 'api-prod' })]));
    expect(findTarget(config, 'api-prod')?.name).toBe('api-prod');
    expect(findTarget(config, 'nope')).toBeUndefined();
  });
});

describe('loadConfig: one error listing every problem', () => {
  it('reports missing settings', () => {
    expect(problemsOf({})).toEqual([
      'RELEASE_TARGETS: required',
      'SERVICE_HOOK_SECRET: required',
      'APPROVAL_SIGNING_KEY: required',
      'PUBLIC_BASE_URL: required when WEBSITE_HOSTNAME is not set',
    ]);
  });

  it('reports weak secrets without echoing them', () => {
    let message = '';
    try {
      loadConfig(
        aValidEnv({ SERVICE_HOOK_SECRET: 'tooshort-secret', APPROVAL_SIGNING_KEY: 'short-signing-key' }),
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('SERVICE_HOOK_SECRET: must be at least 16 characters');
    expect(message).toContain('APPROVAL_SIGNING_KEY: must be at least 32 characters');
    expect(message).not.toContain('tooshort-secret');
    expect(message).not.toContain('short-signing-key');
  });

  it('reports bad URLs', () => {
    expect(
      problemsOf(
        aValidEnv({
          PUBLIC_BASE_URL: 'release.example.com',
          ARM_ENDPOINT: 'http://management.azure.com',
          NOTIFY_WEBHOOK_URL: 'mailto:x@y',
        }),
      ),
    ).toEqual([
      'PUBLIC_BASE_URL: must be an absolute http(s) URL',
      'ARM_ENDPOINT: must be an absolute https URL',
      'NOTIFY_WEBHOOK_URL: must be an absolute http(s) URL',
    ]);
  });

  it('NOTIFY_KIND: teams, slack or json (any case); unset leaves the kind to the URL; else a problem naming the values', () => {
    expect(loadConfig(aValidEnv({ NOTIFY_KIND: 'Slack' })).notifyKind).toBe('slack');
    expect(loadConfig(aValidEnv({ NOTIFY_KIND: ' teams ' })).notifyKind).toBe('teams');
    expect(loadConfig(aValidEnv({ NOTIFY_KIND: '' }))).not.toHaveProperty('notifyKind');
    expect(problemsOf(aValidEnv({ NOTIFY_KIND: 'office365' }))).toEqual([
      'NOTIFY_KIND: must be one of teams, slack, json',
    ]);
  });

  it('RETENTION_DAYS: 90 when unset, a whole number of days from 1 to 3650, else a problem naming it', () => {
    expect(loadConfig(aValidEnv()).retentionDays).toBe(90);
    expect(loadConfig(aValidEnv({ RETENTION_DAYS: ' 180 ' })).retentionDays).toBe(180);
    expect(loadConfig(aValidEnv({ RETENTION_DAYS: '1' })).retentionDays).toBe(1);
    expect(loadConfig(aValidEnv({ RETENTION_DAYS: '3650' })).retentionDays).toBe(3650);
    for (const bad of ['0', '3651', '-5', '7.5', '90d', '1e2', 'forever']) {
      expect(problemsOf(aValidEnv({ RETENTION_DAYS: bad }))).toEqual([
        'RETENTION_DAYS: must be a whole number of days from 1 to 3650',
      ]);
    }
  });

  it('reports RELEASE_TARGETS that is not JSON, with the position', () => {
    expect(problemsOf(aValidEnv({ RELEASE_TARGETS: '[{"name": }]' }))).toEqual([
      'RELEASE_TARGETS: not valid JSON (unexpected character at position 10)',
    ]);
    expect(problemsOf(aValidEnv({ RELEASE_TARGETS: '[{"name": "x"' }))).toEqual([
      'RELEASE_TARGETS: not valid JSON (unexpected end of input)',
    ]);
  });

  it('requires a non-empty array of targets', () => {
    expect(problemsOf(aValidEnv({ RELEASE_TARGETS: '[]' }))).toEqual([
      'RELEASE_TARGETS: must define at least one target',
    ]);
    expect(problemsOf(aValidEnv({ RELEASE_TARGETS: '{}' }))).toEqual([
      expect.stringMatching(/^RELEASE_TARGETS: .*expected array/),
    ]);
  });

  it('names the path of a missing slot compute field', () => {
    const input = aTargetInput();
    (input.slots as Record<string, unknown>[])[1] = { name: 'green', compute: { kind: 'vmss' } };
    expect(targetProblems(input)).toEqual(['RELEASE_TARGETS[0].slots[1].compute.resourceId: required']);
  });

  it('validates ARM ID shapes by provider type', () => {
    const input = aTargetInput({
      traffic: { profileId: ids.scaleSet('not-a-profile') },
      slots: [
        { name: 'blue', compute: { kind: 'vmss', resourceId: ids.vm('a-vm') } },
        { name: 'green', compute: { kind: 'vms', resourceIds: [ids.scaleSet('a-scale-set'), ids.vm('x')] } },
      ],
    });
    expect(targetProblems(input)).toEqual([
      expect.stringMatching(
        /^RELEASE_TARGETS\[0\]\.traffic\.profileId: must be a resource ID like .*trafficManagerProfiles/,
      ),
      expect.stringMatching(
        /^RELEASE_TARGETS\[0\]\.slots\[0\]\.compute\.resourceId: .*virtualMachineScaleSets/,
      ),
      expect.stringMatching(
        /^RELEASE_TARGETS\[0\]\.slots\[1\]\.compute\.resourceIds\[0\]: .*virtualMachines/,
      ),
    ]);
  });

  it('accepts ARM IDs in any case', () => {
    const input = aTargetInput({ traffic: { profileId: ids.profile().toLowerCase() } });
    expect(loadConfig(aValidEnv({}, [input])).targets[0]?.traffic.resource).toBe(ids.profile().toLowerCase());
  });

  it('requires exactly two slots with distinct names', () => {
    const one = aTargetInput({
      slots: [{ name: 'blue', compute: { kind: 'vmss', resourceId: ids.scaleSet('a') } }],
    });
    expect(targetProblems(one)).toEqual([
      'RELEASE_TARGETS[0].slots: must have exactly 2 slots (one per traffic endpoint)',
    ]);
    const same = aTargetInput({
      slots: [
        { name: 'blue', compute: { kind: 'vmss', resourceId: ids.scaleSet('a') } },
        { name: 'Blue', compute: { kind: 'vmss', resourceId: ids.scaleSet('b') } },
      ],
    });
    expect(targetProblems(same)).toEqual(['RELEASE_TARGETS[0].slots[1].name: slot names must be distinct']);
  });

  it('refuses the same VM listed twice and an empty VM list', () => {
    const input = aTargetInput({
      slots: [
        { name: 'blue', compute: { kind: 'vms', resourceIds: [ids.vm('a'), ids.vm('A')] } },
        { name: 'green', compute: { kind: 'vms', resourceIds: [] } },
      ],
    });
    expect(targetProblems(input)).toEqual([
      'RELEASE_TARGETS[0].slots[0].compute.resourceIds: must not list the same VM twice',
      'RELEASE_TARGETS[0].slots[1].compute.resourceIds: must list at least one VM',
    ]);
  });

  it('checks numeric limits', () => {
    const input = aTargetInput({
      deploy: { scriptKind: 'linux', maxParallel: 0, maxFailures: -1, timeoutSeconds: 0 },
      health: { attempts: 0, intervalSeconds: 0, timeoutSeconds: -1 },
      approval: { timeoutSeconds: 1.5 },
      bakeSeconds: -5,
    });
    expect(targetProblems(input)).toEqual([
      'RELEASE_TARGETS[0].deploy.maxParallel: maxParallel must be >= 1',
      'RELEASE_TARGETS[0].deploy.maxFailures: maxFailures must be >= 0',
      'RELEASE_TARGETS[0].deploy.timeoutSeconds: timeoutSeconds must be >= 1',
      'RELEASE_TARGETS[0].health.attempts: attempts must be >= 1',
      'RELEASE_TARGETS[0].health.intervalSeconds: intervalSeconds must be > 0',
      'RELEASE_TARGETS[0].health.timeoutSeconds: timeoutSeconds must be > 0',
      'RELEASE_TARGETS[0].approval.timeoutSeconds: timeoutSeconds must be an integer',
      'RELEASE_TARGETS[0].bakeSeconds: bakeSeconds must be >= 0',
    ]);
  });

  it('approval: quorum and self-approval defaults, and clear errors naming the target and the field', () => {
    expect(aConfig().targets[0]!.approval).toEqual({
      required: true,
      timeoutSeconds: 86400,
      minApprovers: 1,
      allowSelfApproval: false,
    });
    const ok = aConfig([
      aTargetInput({
        approval: { approvers: ['a@x.com', 'b@x.com'], minApprovers: 2, allowSelfApproval: true },
      }),
    ]);
    expect(ok.targets[0]!.approval).toMatchObject({ minApprovers: 2, allowSelfApproval: true });
    expect(targetProblems(aTargetInput({ approval: { minApprovers: 2 } }))).toEqual([
      "RELEASE_TARGETS[0].approval.minApprovers: target 'web-prod' asks for 2 distinct approvers, which needs approval.approvers (signed-in principals; typed names are not identities)",
    ]);
    expect(targetProblems(aTargetInput({ approval: { approvers: ['a@x.com'], minApprovers: 3 } }))).toEqual([
      "RELEASE_TARGETS[0].approval.minApprovers: target 'web-prod' asks for 3 distinct approvers but approval.approvers lists only 1: no release could ever be approved",
    ]);
    expect(
      targetProblems(
        aTargetInput({
          approval: { approvers: ['a@x.com', 'A@X.com'], minApprovers: 0, allowSelfApproval: 'no' },
        }),
      ),
    ).toEqual([
      'RELEASE_TARGETS[0].approval.approvers: approvers must not name the same principal twice',
      'RELEASE_TARGETS[0].approval.minApprovers: minApprovers must be >= 1',
      'RELEASE_TARGETS[0].approval.allowSelfApproval: allowSelfApproval must be true or false',
    ]);
  });

  it('WEBSITE_AUTH_ENABLED (set by App Service): principal headers are trusted only when it is true', () => {
    expect(aConfig().appServiceAuth).toBe(false);
    expect(aConfig(undefined, { WEBSITE_AUTH_ENABLED: 'True' }).appServiceAuth).toBe(true);
    expect(aConfig(undefined, { WEBSITE_AUTH_ENABLED: 'false' }).appServiceAuth).toBe(false);
  });

  it('allows known template placeholders only', () => {
    const input = aTargetInput({
      artifactUrlTemplate: 'https://a.example.com/{pipeline}/{buildId}.zip',
      deploy: { scriptKind: 'linux', parameters: { Version: '{ver}', 'bad-name': 'x' } },
      health: { expectVersion: '{Number}' },
    });
    expect(targetProblems(input)).toEqual([
      'RELEASE_TARGETS[0].artifactUrlTemplate: unknown placeholder {buildId} (known: {id}, {number}, {pipeline}, {commit}, {branch})',
      'RELEASE_TARGETS[0].deploy.parameters.Version: unknown placeholder {ver} (known: {id}, {number}, {pipeline}, {commit}, {branch})',
      'RELEASE_TARGETS[0].deploy.parameters.bad-name: parameter names are letters, digits and _',
      'RELEASE_TARGETS[0].health.expectVersion: unknown placeholder {Number} (known: {id}, {number}, {pipeline}, {commit}, {branch})',
    ]);
  });

  it("refuses deploy parameters the target's deploy script would refuse (scripts/contract.json)", () => {
    const linux = aTargetInput({
      deploy: {
        scriptKind: 'linux',
        parameters: {
          INSTALL_ROOT: 'opt/webapp',
          SERVICE_NAME: 'web"app',
          HEALTH_TIMEOUT_SECONDS: '08',
          Other: 'x y',
        },
      },
    });
    expect(targetProblems(linux)).toEqual([
      "RELEASE_TARGETS[0].deploy.parameters.INSTALL_ROOT: INSTALL_ROOT must be an absolute path without double quotes (the linux deploy script's rule, scripts/contract.json)",
      "RELEASE_TARGETS[0].deploy.parameters.SERVICE_NAME: SERVICE_NAME may only hold letters, digits, spaces, '@', ':', '.', '_' and '-' (the linux deploy script's rule, scripts/contract.json)",
      "RELEASE_TARGETS[0].deploy.parameters.HEALTH_TIMEOUT_SECONDS: HEALTH_TIMEOUT_SECONDS must be a whole number of seconds without leading zeros (the linux deploy script's rule, scripts/contract.json)",
    ]);
    // Each kind by its own rules: a drive path is a Windows INSTALL_ROOT, IIS_SITE exists only there.
    const windows = aTargetInput({
      deploy: {
        scriptKind: 'windows',
        parameters: { INSTALL_ROOT: 'C:\\webapp', IIS_SITE: 'Default Web Site/webapp' },
      },
    });
    expect(loadConfig(aValidEnv({}, [windows])).targets[0]?.deploy.parameters.IIS_SITE).toBe(
      'Default Web Site/webapp',
    );
    expect(
      targetProblems(
        aTargetInput({ deploy: { scriptKind: 'linux', parameters: { INSTALL_ROOT: 'C:\\webapp' } } }),
      ),
    ).toHaveLength(1);
  });

  it('requires the artifact URL template to be an http(s) URL', () => {
    expect(targetProblems(aTargetInput({ artifactUrlTemplate: 'file:///tmp/{number}.zip' }))).toEqual([
      'RELEASE_TARGETS[0].artifactUrlTemplate: artifactUrlTemplate must be an absolute http(s) URL template',
    ]);
  });

  it('checks target names and their uniqueness', () => {
    expect(
      problemsOf(
        aValidEnv({}, [
          aTargetInput({ name: 'Web_Prod' }),
          aTargetInput(),
          aTargetInput({ name: 'web-prod' }),
        ]),
      ),
    ).toEqual([
      'RELEASE_TARGETS[0].name: name must match ^[a-z0-9][a-z0-9-]{0,39}$',
      'RELEASE_TARGETS[2].name: duplicate target name (also RELEASE_TARGETS[1])',
    ]);
    expect(targetProblems(aTargetInput({ name: 'a'.repeat(41) }))).toEqual([
      'RELEASE_TARGETS[0].name: name must match ^[a-z0-9][a-z0-9-]{0,39}$',
    ]);
  });

  it('refuses unknown keys, which are usually typos', () => {
    expect(targetProblems(aTargetInput({ deploy: { scriptKind: 'linux', maxParalel: 3 } }))).toEqual([
      'RELEASE_TARGETS[0].deploy: Unrecognized key: "maxParalel"',
    ]);
  });

  it('lists problems of several targets and settings in one error', () => {
    const broken = aTargetInput({ deploy: undefined, traffic: undefined });
    const error = (() => {
      try {
        loadConfig(aValidEnv({ APPROVAL_SIGNING_KEY: undefined }, [aTargetInput(), broken]));
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('expected failure');
    })();
    expect(error.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'RELEASE_TARGETS[1].traffic: required',
      'RELEASE_TARGETS[1].deploy: required',
      'RELEASE_TARGETS[1].name: duplicate target name (also RELEASE_TARGETS[0])',
      'APPROVAL_SIGNING_KEY: required',
    ]);
    expect(error.message).toBe(
      'invalid configuration: RELEASE_TARGETS[1].traffic: required; RELEASE_TARGETS[1].deploy: required; ' +
        'RELEASE_TARGETS[1].name: duplicate target name (also RELEASE_TARGETS[0]); APPROVAL_SIGNING_KEY: required',
    );
  });
});

describe('getConfig', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    resetConfigCache();
  });

  it('reads process.env once and caches the result', () => {
    process.env = { ...saved, ...aValidEnv() };
    const first = getConfig();
    process.env.PUBLIC_BASE_URL = 'https://other.example.com';
    expect(getConfig()).toBe(first);
    resetConfigCache();
    expect(getConfig().publicBaseUrl).toBe('https://other.example.com');
  });

  it('does not cache a failure', () => {
    process.env = { ...saved, ...aValidEnv({ SERVICE_HOOK_SECRET: undefined }) };
    delete process.env.SERVICE_HOOK_SECRET;
    expect(() => getConfig()).toThrow(/SERVICE_HOOK_SECRET: required/);
    process.env.SERVICE_HOOK_SECRET = TEST_SECRETS.serviceHook;
    expect(getConfig().serviceHookSecret).toBe(TEST_SECRETS.serviceHook);
  });
});

describe('CUTOVER_OBSERVER_URL', () => {
  it('is optional, kept when an http(s) URL, and refused naming the setting otherwise', () => {
    expect(loadConfig(aValidEnv()).cutoverObserverUrl).toBeUndefined();
    expect(loadConfig(aValidEnv({ CUTOVER_OBSERVER_URL: ' ' })).cutoverObserverUrl).toBeUndefined();
    expect(
      loadConfig(aValidEnv({ CUTOVER_OBSERVER_URL: 'http://127.0.0.1:7074/traffic/cutover' }))
        .cutoverObserverUrl,
    ).toBe('http://127.0.0.1:7074/traffic/cutover');
    expect(problemsOf(aValidEnv({ CUTOVER_OBSERVER_URL: 'ftp://x' }))).toEqual([
      'CUTOVER_OBSERVER_URL: must be an absolute http(s) URL',
    ]);
  });
});

describe('SETTINGS', () => {
  it('lists every setting loadConfig reads, once, with the required ones first-class', () => {
    const names = SETTINGS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([
      'RELEASE_TARGETS',
      'SERVICE_HOOK_SECRET',
      'APPROVAL_SIGNING_KEY',
      'PUBLIC_BASE_URL',
      'ARM_ENDPOINT',
      'ARM_SCOPE',
      'AZURE_CLIENT_ID',
      'NOTIFY_WEBHOOK_URL',
      'NOTIFY_KIND',
      'CUTOVER_OBSERVER_URL',
      'RETENTION_DAYS',
      'WEBSITE_HOSTNAME',
      'WEBSITE_AUTH_ENABLED',
    ]);
    expect(SETTINGS.filter((s) => s.required).map((s) => s.name)).toEqual([
      'RELEASE_TARGETS',
      'SERVICE_HOOK_SECRET',
      'APPROVAL_SIGNING_KEY',
    ]);
    expect(SETTINGS.filter((s) => s.secret).map((s) => s.name)).toEqual([
      'SERVICE_HOOK_SECRET',
      'APPROVAL_SIGNING_KEY',
      'NOTIFY_WEBHOOK_URL',
    ]);
    for (const s of SETTINGS) {
      expect(s.description.length).toBeGreaterThan(10);
      expect(s.example.length).toBeGreaterThan(0);
    }
  });

  it('has a RELEASE_TARGETS example that loads', () => {
    const example = SETTINGS.find((s) => s.name === 'RELEASE_TARGETS')?.example as string;
    const config = loadConfig(aValidEnv({ RELEASE_TARGETS: example.replace(/<sub>/g, 'sub-1') }));
    expect(config.targets[0]?.name).toBe('web-prod');
  });

  it('names only settings that are absent from a minimal valid environment as optional', () => {
    const env = aValidEnv({ PUBLIC_BASE_URL: undefined, WEBSITE_HOSTNAME: 'h.example.com' });
    for (const s of SETTINGS.filter((x) => x.required)) expect(env[s.name]).toBeDefined();
    expect(() => loadConfig(env)).not.toThrow();
  });
});
