/**
 * The POSIX azd hooks run against fake `az`/`azd` commands. shellcheck runs in `npm run lint`; the
 * PowerShell scripts (deploy-windows.ps1, the Windows hooks) are parsed and tested by Pester in
 * `npm run test:ps` (test/ps).
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from './template';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd: REPO, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({
        code,
        stdout,
        stderr: error && typeof error.code !== 'number' ? `${stderr}${error.message}` : stderr,
      });
    });
  });
}

describe('azd hooks', () => {
  let dir: string;
  let bin: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'azd-hooks-'));
    bin = path.join(dir, 'bin');
    mkdirSync(bin);
    // Fake az: behaviour chosen by FAKE_AZ; every call appended to $FAKE_LOG.
    writeFileSync(
      path.join(bin, 'az'),
      [
        '#!/bin/sh',
        'echo "az $*" >>"$FAKE_LOG"',
        'case "$1 $2" in',
        '  "network traffic-manager" | "afd profile")',
        '    case "$FAKE_AZ" in',
        '      exists) echo traf-abc; exit 0 ;;',
        '      none) exit 0 ;;',
        '      nogroup) echo "(ResourceGroupNotFound) Resource group \'rg-x\' could not be found." >&2; exit 3 ;;',
        '      *) echo "(AuthorizationFailed) The client does not have authorization" >&2; exit 1 ;;',
        '    esac ;;',
        '  "keyvault secret") echo "value-of-$7"; exit 0 ;;',
        '  "functionapp function")',
        '    for a in "$@"; do case "$a" in @*) echo "file:$(cat "${a#@}")" >>"$FAKE_LOG" ;; esac; done',
        '    if [ -n "$FAKE_FAIL_ONCE" ] && [ ! -e "$FAKE_LOG.failed" ]; then touch "$FAKE_LOG.failed"; echo "not found" >&2; exit 1; fi',
        '    exit 0 ;;',
        'esac',
        'exit 9',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(bin, 'azd'), '#!/bin/sh\necho "azd $*" >>"$FAKE_LOG"\n');
    chmodSync(path.join(bin, 'az'), 0o755);
    chmodSync(path.join(bin, 'azd'), 0o755);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const hook = async (name: string, env: Record<string, string>): Promise<Ran & { log: string[] }> => {
    const log = path.join(dir, `log-${Math.random().toString(36).slice(2)}`);
    writeFileSync(log, '');
    const result = await run('sh', [path.join(REPO, 'infra/hooks', name)], {
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      FAKE_LOG: log,
      AZURE_ENV_NAME: 'dev',
      ...env,
    });
    return { ...result, log: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
  };

  describe('preprovision.sh', () => {
    it('first provision: no profile, nothing recorded -> the profile is created (exit 0, no change)', async () => {
      const r = await hook('preprovision.sh', { FAKE_AZ: 'nogroup' });
      expect(r.code).toBe(0);
      expect(r.log.filter((l) => l.startsWith('azd '))).toEqual([]);
      expect(r.log[0]).toContain('--resource-group rg-dev');
    });

    it('re-provision: the profile exists and the output said so -> left untouched (exit 0)', async () => {
      const r = await hook('preprovision.sh', {
        FAKE_AZ: 'exists',
        SAMPLE_TARGET_EXISTS: 'true',
        AZURE_RESOURCE_GROUP: 'rg-custom',
      });
      expect(r.code).toBe(0);
      expect(r.log[0]).toContain('--resource-group rg-custom');
      expect(r.log.filter((l) => l.startsWith('azd '))).toEqual([]);
    });

    it('a profile exists that the environment does not know -> records true and stops before Bicep runs', async () => {
      const r = await hook('preprovision.sh', { FAKE_AZ: 'exists' });
      expect(r.code).toBe(1);
      expect(r.log).toContain('azd env set SAMPLE_TARGET_EXISTS true');
      expect(r.stderr).toContain('run the command again');
    });

    it('after azd down: recorded true but gone -> records false', async () => {
      const r = await hook('preprovision.sh', { FAKE_AZ: 'none', SAMPLE_TARGET_EXISTS: 'true' });
      expect(r.code).toBe(1);
      expect(r.log).toContain('azd env set SAMPLE_TARGET_EXISTS false');
    });

    it('TRAFFIC_PROVIDER=frontDoor: looks for the Front Door profile instead (same rule)', async () => {
      const r = await hook('preprovision.sh', { FAKE_AZ: 'exists', TRAFFIC_PROVIDER: 'frontDoor' });
      expect(r.code).toBe(1);
      expect(r.log[0]).toMatch(/^az afd profile list --resource-group rg-dev /);
      expect(r.log).toContain('azd env set SAMPLE_TARGET_EXISTS true');
      const same = await hook('preprovision.sh', {
        FAKE_AZ: 'exists',
        TRAFFIC_PROVIDER: 'frontDoor',
        SAMPLE_TARGET_EXISTS: 'true',
      });
      expect([same.code, same.stdout]).toEqual([
        0,
        expect.stringContaining('Front Door profile is left untouched'),
      ]);
      const bad = await hook('preprovision.sh', { FAKE_AZ: 'exists', TRAFFIC_PROVIDER: 'appGateway' });
      expect([bad.code, bad.log]).toEqual([1, []]);
      expect(bad.stderr).toContain('TRAFFIC_PROVIDER must be trafficManager or frontDoor');
    });

    it('cannot tell (e.g. not authorized) -> stops without guessing, so live traffic is never overwritten', async () => {
      const r = await hook('preprovision.sh', { FAKE_AZ: 'denied', SAMPLE_TARGET_EXISTS: 'true' });
      expect(r.code).toBe(1);
      expect(r.log.filter((l) => l.startsWith('azd '))).toEqual([]);
      expect(r.stderr).toContain('AuthorizationFailed');
    });
  });

  describe('postdeploy.sh', () => {
    const env = {
      AZURE_RESOURCE_GROUP: 'rg-dev',
      AZURE_FUNCTION_NAME: 'func-release-abc',
      AZURE_KEY_VAULT_NAME: 'kv-abc',
      DEVOPS_HOOK_URL: 'https://func-release-abc.azurewebsites.net/api/hooks/devops/sample',
      POSTDEPLOY_RETRY_SECONDS: '0',
    };

    it('sets each hook key from Key Vault through a file, never on the command line, and prints no secret', async () => {
      const r = await hook('postdeploy.sh', env);
      expect(r.code).toBe(0);
      const sets = r.log.filter((l) => l.startsWith('az functionapp function keys set'));
      expect(sets).toHaveLength(2);
      expect(sets[0]).toContain('--function-name DevOpsHook --key-name azure-devops');
      expect(sets[1]).toContain('--function-name AlertHook --key-name azure-monitor');
      expect(r.log).toContain('file:value-of-devops-function-key');
      expect(r.log).toContain('file:value-of-alerts-function-key');
      expect(sets.join('\n')).not.toContain('value-of-');
      expect(r.stdout).not.toContain('value-of-');
      expect(r.stdout).toContain(`${env.DEVOPS_HOOK_URL}?code=<key>`);
    });

    it('retries while the host has not indexed the functions yet', async () => {
      const r = await hook('postdeploy.sh', { ...env, FAKE_FAIL_ONCE: '1' });
      expect(r.code).toBe(0);
      expect(r.log.filter((l) => l.startsWith('az functionapp function keys set'))).toHaveLength(3);
    });

    it('names the missing setting when run outside azd', async () => {
      const r = await hook('postdeploy.sh', {});
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('AZURE_RESOURCE_GROUP');
      expect(existsSync(path.join(REPO, 'infra/hooks/postdeploy.ps1'))).toBe(true);
    });
  });
});
