import { existsSync, mkdirSync, readdirSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { Fleet } from '../../local/fleet';
import { deployScriptPath, startFleet } from '../../local/fleet';
import type { RunOutput } from '../local/fleet/helpers';
import { get, run, tempDir, testNetwork } from '../local/fleet/helpers';
import { exampleNames, examples, parameterRule, ruleProblem } from '../../src/core/contract';
import type { FakeImds, ProtectedBlobServer } from './storage-fakes';
import { startFakeImds, startProtectedBlobServer } from './storage-fakes';

const script = deployScriptPath();

describe('scripts/deploy-linux.sh', () => {
  let fleet: Fleet;
  let tmp: { dir: string; remove(): void };
  let instanceName: string;
  let root: string;
  let healthUrl: string;

  /** Runs the script for the one instance, as the local run command executor would. */
  const deploy = (params: Record<string, string>): Promise<RunOutput> =>
    run('bash', [script], {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: tmp.dir,
      ...fleet.hostSettings(instanceName),
      HEALTH_TIMEOUT_SECONDS: '10',
      ...params,
    });
  const artifact = (number: string) => fleet.artifacts.url('webapp', number);
  const currentTarget = () => readlinkSync(path.join(root, 'current'));

  beforeAll(async () => {
    tmp = tempDir('deploy-linux-');
    fleet = await startFleet({
      dataDir: tmp.dir,
      slots: ['blue'],
      instancesPerSlot: 1,
      network: testNetwork(),
      instancePort: 0,
      lbPort: 0,
      artifactPort: 0,
      controlPort: 0,
    });
    const instance = fleet.topology.slots[0].instances[0];
    instanceName = instance.name;
    root = instance.root;
    healthUrl = `http://${instance.address}:${instance.port}/health`;
  });

  afterAll(async () => {
    await fleet?.close();
    tmp?.remove();
  });

  it('deploys a version: downloads, unpacks, switches current, restarts and sees the version healthy', async () => {
    const before = await get(healthUrl);
    expect(before.headers.get('x-app-version')).toBe('1.0.0');

    const result = await deploy({ ARTIFACT_URL: artifact('42'), VERSION: '42' });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('deploy: switched current -> releases/42');
    expect(currentTarget()).toBe('releases/42');
    expect(existsSync(path.join(root, 'releases/42/server.js'))).toBe(true);
    const health = await get(healthUrl);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-app-version')).toBe('42');
    expect(JSON.parse(health.text)).toMatchObject({ status: 'ok', version: '42' });
    expect(fleet.artifacts.downloads('42')).toBe(1);
  });

  it('is idempotent: a second run finds the version live and downloads nothing', async () => {
    const result = await deploy({ ARTIFACT_URL: artifact('42'), VERSION: '42' });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('already current and healthy');
    expect(fleet.artifacts.downloads('42')).toBe(1);
    expect(fleet.instances()[0].restarts).toBe(1);
  });

  it('exits 10 when the download fails, leaving the live version alone', async () => {
    const result = await deploy({ ARTIFACT_URL: artifact('missing-7'), VERSION: '7' });

    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(
      /ERROR \(exit 10\): download: http:\/\/127\.0\.0\.1:\d+\/artifacts\/webapp\/missing-7/,
    );
    expect(result.stderr).toContain('404');
    expect(currentTarget()).toBe('releases/42');
    expect(existsSync(path.join(root, 'releases/7.tar.gz'))).toBe(false);
    expect(existsSync(path.join(root, 'releases/7.tar.gz.part'))).toBe(false);
  });

  it('exits 11 on a corrupt package and drops it so a re-run downloads again', async () => {
    const result = await deploy({ ARTIFACT_URL: artifact('corrupt-1'), VERSION: 'corrupt-1' });

    expect(result.code).toBe(11);
    expect(result.stderr).toContain('ERROR (exit 11): unpack:');
    expect(existsSync(path.join(root, 'releases/corrupt-1'))).toBe(false);
    expect(existsSync(path.join(root, 'releases/corrupt-1.tar.gz'))).toBe(false);
    expect(currentTarget()).toBe('releases/42');
  });

  it('exits 12 when the restart fails, and a re-run recovers without downloading again', async () => {
    const failed = await deploy({
      ARTIFACT_URL: artifact('43'),
      VERSION: '43',
      RESTART_COMMAND: 'echo unit failed; exit 3',
    });

    expect(failed.code).toBe(12);
    expect(failed.stderr).toContain('unit failed');
    expect(failed.stderr).toContain("ERROR (exit 12): restart: 'echo unit failed; exit 3' failed");
    expect(currentTarget()).toBe('releases/43');
    expect((await get(healthUrl)).headers.get('x-app-version')).toBe('42');

    const retried = await deploy({ ARTIFACT_URL: artifact('43'), VERSION: '43' });

    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain('already unpacked');
    expect(fleet.artifacts.downloads('43')).toBe(1);
    expect((await get(healthUrl)).headers.get('x-app-version')).toBe('43');
  });

  it('exits 13 when health never reports the new version', async () => {
    // A no-op restart: the instance keeps serving 43 while current points at 44.
    const result = await deploy({
      ARTIFACT_URL: artifact('44'),
      VERSION: '44',
      RESTART_COMMAND: 'true',
      HEALTH_TIMEOUT_SECONDS: '1',
    });

    expect(result.code).toBe(13);
    expect(result.stderr).toContain(
      `health: ${healthUrl} did not report 44 within 1s (last: HTTP 200, x-app-version: 43)`,
    );
  });

  it('falls back to the JSON body field when the version header is absent', async () => {
    const result = await deploy({
      ARTIFACT_URL: artifact('44'),
      VERSION: '44',
      HEALTH_VERSION_HEADER: 'x-not-sent',
    });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('healthy: HTTP 200, body version: 44');
  });

  it('keeps the last 3 releases and prunes older ones', async () => {
    for (const version of ['45', '46']) {
      const result = await deploy({ ARTIFACT_URL: artifact(version), VERSION: version });
      expect(result.code).toBe(0);
    }

    const releases = readdirSync(path.join(root, 'releases'))
      .filter((name) => !name.endsWith('.tar.gz') && !name.startsWith('.'))
      .sort();
    expect(releases).toEqual(['44', '45', '46']);
    expect(currentTarget()).toBe('releases/46');
  });

  it('exits 2 and names every problem when parameters are missing or invalid', async () => {
    const missing = await deploy({ ARTIFACT_URL: '', VERSION: '' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('invalid: ARTIFACT_URL is required');
    expect(missing.stderr).toContain('invalid: VERSION is required');

    const invalid = await deploy({
      ARTIFACT_URL: 'ftp://example/x.tar.gz',
      VERSION: '../etc',
      INSTALL_ROOT: 'relative/path',
      HEALTH_TIMEOUT_SECONDS: 'soon',
    });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('ARTIFACT_URL must be an http(s) URL');
    expect(invalid.stderr).toContain('invalid: VERSION may only hold');
    expect(invalid.stderr).toContain('invalid: INSTALL_ROOT must be an absolute path');
    expect(invalid.stderr).toContain('HEALTH_TIMEOUT_SECONDS must be a whole number');
    expect(invalid.stderr).toContain('validate: 4 problem(s)');
  });

  it('exits 2 (not 1) for a 5,000-character VERSION, naming the bound, and touches nothing', async () => {
    const result = await deploy({ ARTIFACT_URL: artifact('47'), VERSION: '1'.repeat(5000) });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid: VERSION is longer than 128 characters (5000)');
    expect(result.stderr).toContain('validate: 1 problem(s)');
    expect(result.stderr).not.toContain('1'.repeat(200));
    expect(currentTarget()).toBe('releases/46');
  });

  // The table of scripts/contract.json, which the hook and deploy-windows.ps1 are tested against too.
  describe.each(exampleNames())('%s against the contract table', (name) => {
    const rule = parameterRule(name, 'linux');
    const table = examples(name);
    /** Runs validation only: INSTALL_ROOT is always invalid, so nothing is deployed. */
    const validate = (value: string) =>
      deploy({ ARTIFACT_URL: artifact('48'), VERSION: '48', INSTALL_ROOT: 'relative', [name]: value });

    it.each(table.good.map((v) => [v.length > 40 ? `${v.slice(0, 10)}… (${v.length})` : v, v]))(
      'accepts %j',
      async (_, value) => {
        const result = await validate(value);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain('invalid: INSTALL_ROOT must be an absolute path');
        expect(result.stderr).not.toContain(`invalid: ${name} `);
      },
    );

    it.each(table.bad.map((v) => [v.length > 40 ? `${v.slice(0, 10)}… (${v.length})` : v, v]))(
      'refuses %j with exit 2 and the rule',
      async (_, value) => {
        const result = await validate(value);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(`invalid: ${name} ${ruleProblem(rule, value)}\n`);
      },
    );
  });

  it('re-runs itself under bash when started with sh', async () => {
    const result = await run('sh', [script], { PATH: process.env.PATH ?? '/usr/bin:/bin' });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid: ARTIFACT_URL is required');
  });

  it('never prints the query string of the artifact URL (it may carry a SAS token)', async () => {
    const result = await deploy({ ARTIFACT_URL: `${artifact('missing-8')}?sig=secret-token`, VERSION: '8' });

    expect(result.code).toBe(10);
    expect(result.stdout + result.stderr).not.toContain('secret-token');
  });
  describe('ARTIFACT_AUTH=managed-identity (private Blob container)', () => {
    const clientId = '3f1c2a9e-5b7d-4c21-9a0e-7d6b8c9e0f12';
    let imds: FakeImds;
    let blob: ProtectedBlobServer;
    let scratch: number;

    /** A fresh TMPDIR per run: after the run it must be empty (the token file is gone). */
    const freshTmp = () => {
      scratch += 1;
      const dir = path.join(tmp.dir, `script-tmp-${scratch}`);
      mkdirSync(dir);
      return dir;
    };
    const deployWithIdentity = async (params: Record<string, string>): Promise<RunOutput> => {
      const tmpdir = freshTmp();
      // No waits between IMDS retries unless a test asks for them.
      const result = await deploy({
        IMDS_ENDPOINT: imds.endpoint,
        IMDS_RETRY_DELAY_SECONDS: '0',
        TMPDIR: tmpdir,
        ...params,
      });
      expect(readdirSync(tmpdir)).toEqual([]);
      expect(result.stdout + result.stderr).not.toContain(imds.token);
      return result;
    };

    beforeAll(async () => {
      scratch = 0;
      imds = await startFakeImds({ clientIds: [clientId], systemAssigned: true });
      blob = await startProtectedBlobServer(imds.token);
    });

    afterAll(async () => {
      await imds?.close();
      await blob?.close();
    });

    it('downloads with a token from IMDS for the user-assigned identity, and a re-run asks for none', async () => {
      const result = await deployWithIdentity({
        ARTIFACT_URL: blob.url('50'),
        VERSION: '50',
        ARTIFACT_AUTH: 'managed-identity',
        ARTIFACT_IDENTITY_CLIENT_ID: clientId,
      });

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`with the VM's managed identity (client_id ${clientId})`);
      expect(imds.requests).toEqual([
        { metadataHeader: 'true', resource: 'https://storage.azure.com/', clientId },
      ]);
      expect(blob.downloads('50')).toBe(1);
      expect(blob.rejected()).toBe(0);
      expect(currentTarget()).toBe('releases/50');
      expect((await get(healthUrl)).headers.get('x-app-version')).toBe('50');

      const again = await deployWithIdentity({
        ARTIFACT_URL: blob.url('50'),
        VERSION: '50',
        ARTIFACT_AUTH: 'managed-identity',
        ARTIFACT_IDENTITY_CLIENT_ID: clientId,
      });
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('already current and healthy');
      expect(imds.requests).toHaveLength(1);
    });

    it('reads the token without jq (system-assigned identity, multi-line JSON answer)', async () => {
      // A PATH of links to every tool in /usr/bin and /bin except jq, as on a minimal image.
      const bin = path.join(tmp.dir, 'bin-without-jq');
      mkdirSync(bin, { recursive: true });
      for (const dir of ['/usr/local/bin', '/usr/bin', '/bin']) {
        if (!existsSync(dir)) continue;
        for (const name of readdirSync(dir)) {
          const link = path.join(bin, name);
          if (name === 'jq' || existsSync(link)) continue;
          const target = path.join(dir, name);
          if (statSync(target, { throwIfNoEntry: false })?.isFile()) symlinkSync(target, link);
        }
      }
      const pretty = await startFakeImds({ systemAssigned: true, pretty: true });
      const prettyBlob = await startProtectedBlobServer(pretty.token);
      try {
        const tmpdir = freshTmp();
        const result = await deploy({
          PATH: bin,
          TMPDIR: tmpdir,
          IMDS_ENDPOINT: pretty.endpoint,
          ARTIFACT_URL: prettyBlob.url('51'),
          VERSION: '51',
          ARTIFACT_AUTH: 'Managed-Identity',
        });

        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(result.stdout + result.stderr).not.toContain(pretty.token);
        expect(readdirSync(tmpdir)).toEqual([]);
        expect(pretty.requests).toEqual([
          { metadataHeader: 'true', resource: 'https://storage.azure.com/', clientId: null },
        ]);
        expect(prettyBlob.downloads('51')).toBe(1);
        expect(currentTarget()).toBe('releases/51');
      } finally {
        await pretty.close();
        await prettyBlob.close();
      }
    });

    it("exits 10 on the protected container's 403 when ARTIFACT_AUTH is unset (no token is sent)", async () => {
      const before = imds.requests.length;
      const result = await deployWithIdentity({ ARTIFACT_URL: blob.url('52'), VERSION: '52' });

      expect(result.code).toBe(10);
      expect(result.stderr).toContain(`ERROR (exit 10): download: ${blob.url('52')}`);
      expect(result.stderr).toContain('403');
      expect(imds.requests).toHaveLength(before);
      expect(existsSync(path.join(root, 'releases/52.tar.gz'))).toBe(false);
      expect(currentTarget()).toBe('releases/51');
    });

    it('exits 10 naming IMDS and its cause when IMDS refuses the token, without touching storage', async () => {
      const rejectedBefore = blob.rejected();
      const requestsBefore = imds.requests.length;
      const result = await deployWithIdentity({
        ARTIFACT_URL: blob.url('53'),
        VERSION: '53',
        ARTIFACT_AUTH: 'managed-identity',
        ARTIFACT_IDENTITY_CLIENT_ID: '00000000-1111-2222-3333-444444444444',
      });

      expect(result.code).toBe(10);
      expect(result.stderr).toContain(
        `ERROR (exit 10): download: IMDS at ${imds.endpoint} refused a token for https://storage.azure.com/ ` +
          '(client_id 00000000-1111-2222-3333-444444444444): HTTP 400: Identity not found',
      );
      // 400 is not transient: asked once, no retry.
      expect(imds.requests).toHaveLength(requestsBefore + 1);
      expect(result.stdout).not.toContain('retrying');
      expect(blob.downloads('53')).toBe(0);
      expect(blob.rejected()).toBe(rejectedBefore);
      expect(existsSync(path.join(root, 'releases/53.tar.gz.part'))).toBe(false);
      expect(currentTarget()).toBe('releases/51');
    });

    it('exits 10 naming IMDS when IMDS cannot be reached', async () => {
      const gone = await startFakeImds();
      const endpoint = gone.endpoint;
      await gone.close();

      const result = await deployWithIdentity({
        IMDS_ENDPOINT: endpoint,
        ARTIFACT_URL: blob.url('54'),
        VERSION: '54',
        ARTIFACT_AUTH: 'managed-identity',
      });

      expect(result.code).toBe(10);
      expect(result.stderr).toContain(
        `ERROR (exit 10): download: IMDS token request to ${endpoint} failed (after 5 attempts):`,
      );
      expect(blob.downloads('54')).toBe(0);
    });

    it('retries IMDS while it answers 410 after boot, doubling the wait, then deploys', async () => {
      const booting = await startFakeImds({ failFirst: { count: 2, status: 410 } });
      const bootingBlob = await startProtectedBlobServer(booting.token);
      try {
        const tmpdir = freshTmp();
        const result = await deploy({
          TMPDIR: tmpdir,
          IMDS_ENDPOINT: booting.endpoint,
          IMDS_RETRY_DELAY_SECONDS: '1',
          ARTIFACT_URL: bootingBlob.url('58'),
          VERSION: '58',
          ARTIFACT_AUTH: 'managed-identity',
        });

        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(booting.requests).toHaveLength(3);
        expect(result.stdout).toContain('IMDS token request attempt 1 of 5: HTTP 410; retrying in 1s');
        expect(result.stdout).toContain('IMDS token request attempt 2 of 5: HTTP 410; retrying in 2s');
        expect(result.stdout + result.stderr).not.toContain(booting.token);
        expect(readdirSync(tmpdir)).toEqual([]);
        expect(bootingBlob.downloads('58')).toBe(1);
        expect(currentTarget()).toBe('releases/58');
      } finally {
        await booting.close();
        await bootingBlob.close();
      }
    });

    it('retries IMDS on a 5xx answer too', async () => {
      const busy = await startFakeImds({ failFirst: { count: 1, status: 503 } });
      const busyBlob = await startProtectedBlobServer(busy.token);
      try {
        const result = await deployWithIdentity({
          IMDS_ENDPOINT: busy.endpoint,
          ARTIFACT_URL: busyBlob.url('59'),
          VERSION: '59',
          ARTIFACT_AUTH: 'managed-identity',
        });

        expect(result.code).toBe(0);
        expect(result.stdout + result.stderr).not.toContain(busy.token);
        expect(busy.requests).toHaveLength(2);
        expect(result.stdout).toContain('IMDS token request attempt 1 of 5: HTTP 503; retrying in 0s');
        expect(busyBlob.downloads('59')).toBe(1);
      } finally {
        await busy.close();
        await busyBlob.close();
      }
    });

    it('exits 10 naming IMDS and the last status when IMDS answers 404 on every attempt', async () => {
      const missing = await startFakeImds({ failFirst: { count: Infinity, status: 404 } });
      try {
        const rejectedBefore = blob.rejected();
        const result = await deployWithIdentity({
          IMDS_ENDPOINT: missing.endpoint,
          ARTIFACT_URL: blob.url('60'),
          VERSION: '60',
          ARTIFACT_AUTH: 'managed-identity',
        });

        expect(result.code).toBe(10);
        expect(missing.requests).toHaveLength(5);
        expect(result.stderr).toContain(
          `ERROR (exit 10): download: IMDS at ${missing.endpoint} refused a token for https://storage.azure.com/: ` +
            'HTTP 404: Identity not yet available, retry later (after 5 attempts)',
        );
        expect(result.stdout).toContain('IMDS token request attempt 4 of 5: HTTP 404; retrying in 0s');
        expect(result.stdout).not.toContain('attempt 5 of 5');
        expect(blob.downloads('60')).toBe(0);
        expect(blob.rejected()).toBe(rejectedBefore);
        expect(existsSync(path.join(root, 'releases/60.tar.gz.part'))).toBe(false);
        expect(currentTarget()).toBe('releases/59');
      } finally {
        await missing.close();
      }
    });

    it("exits 10 with a role hint when storage refuses the identity's token", async () => {
      // Another VM's identity: IMDS answers, but the container does not accept its token.
      const other = await startFakeImds();
      try {
        const result = await deployWithIdentity({
          IMDS_ENDPOINT: other.endpoint,
          ARTIFACT_URL: blob.url('55'),
          VERSION: '55',
          ARTIFACT_AUTH: 'managed-identity',
        });

        expect(result.code).toBe(10);
        expect(result.stderr).toContain('403');
        expect(result.stderr).toContain(
          "does the VM's identity have Storage Blob Data Reader on the container?",
        );
        expect(result.stdout + result.stderr).not.toContain(other.token);
      } finally {
        await other.close();
      }
    });

    it('auto uses no identity for a URL that is not Azure Blob storage', async () => {
      const before = imds.requests.length;
      const result = await deployWithIdentity({
        ARTIFACT_URL: artifact('56'),
        VERSION: '56',
        ARTIFACT_AUTH: 'auto',
      });

      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain('managed identity');
      expect(imds.requests).toHaveLength(before);
      expect(currentTarget()).toBe('releases/56');
    });

    it('exits 2 naming ARTIFACT_AUTH, ARTIFACT_IDENTITY_CLIENT_ID and IMDS_RETRY_DELAY_SECONDS when invalid', async () => {
      const before = imds.requests.length;
      const result = await deployWithIdentity({
        ARTIFACT_URL: blob.url('57'),
        VERSION: '57',
        ARTIFACT_AUTH: 'sas',
        ARTIFACT_IDENTITY_CLIENT_ID: 'id&resource=x',
        IMDS_RETRY_DELAY_SECONDS: '08',
      });

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('invalid: ARTIFACT_AUTH must be auto, none or managed-identity');
      expect(result.stderr).toContain('invalid: ARTIFACT_IDENTITY_CLIENT_ID must be the client ID (a GUID)');
      expect(result.stderr).toContain('invalid: IMDS_RETRY_DELAY_SECONDS must be a whole number of seconds');
      expect(result.stderr).toContain('validate: 3 problem(s)');
      expect(imds.requests).toHaveLength(before);
      expect(blob.downloads('57')).toBe(0);
    });
  });
});
