/**
 * Shell and PowerShell scripts (shellcheck runs in `npm run lint`): a structural check of the PowerShell ones
 * (no parser can be installed here), the Windows deploy script's contract against the Linux one, and the
 * azd hooks run against fake `az`/`azd` commands.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO, filesUnder, repoFile } from './template';
import { paramBlock, scanPowerShell } from './powershell';

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

const psScripts = [...filesUnder('scripts', '.ps1'), ...filesUnder('infra', '.ps1')];

describe('PowerShell scripts (structural check: no PowerShell parser is available here)', () => {
  it('includes the Windows deploy script and the azd hooks', () => {
    expect(psScripts).toEqual(
      expect.arrayContaining([
        'scripts/deploy-windows.ps1',
        'infra/hooks/preprovision.ps1',
        'infra/hooks/postdeploy.ps1',
      ]),
    );
  });

  it.each(psScripts)('%s: comments, strings, here-strings and brackets are well formed', (file) => {
    expect(scanPowerShell(repoFile(file)).problems).toEqual([]);
  });

  it('the checker catches the usual breakages', () => {
    const problems = (src: string): string[] =>
      scanPowerShell(src).problems.map((p) => `${p.line}: ${p.message}`);
    expect(problems('if ($a) { "x" }')).toEqual([]);
    expect(problems("Write-Host \"a $(Get-Date) b\"\n$x = 'it''s'")).toEqual([]);
    expect(problems('if ($a) { "x" ')).toEqual(["1: '}' never closed"]);
    expect(problems('$x = "open\n')).toEqual(['1: unterminated "..." string']);
    expect(problems("$x = 'open")).toEqual(["1: unterminated '...' string"]);
    expect(problems('foo(]')).toEqual(["1: ']' closes ')' opened on line 1"]);
    expect(problems('foo(')).toEqual(["1: ')' never closed"]);
    expect(problems('<# help')).toEqual(['1: unterminated <# block comment']);
    expect(problems('$h = @"\ntext\n')).toEqual(['1: unterminated here-string @"']);
    expect(problems('# a comment with ( and "\n$x = 1')).toEqual([]);
  });
});

/** `#   NAME   required|optional ...` lines of the Linux script's header. */
function linuxParameters(): string[] {
  return [
    ...repoFile('scripts/deploy-linux.sh').matchAll(/^#\s{2,}([A-Z_]+)\s+(?:required|optional)\b/gm),
  ].map((m) => m[1] as string);
}

/** `  <code>  <meaning>` lines under "Exit codes" in a script's header. */
function documentedExitCodes(text: string): number[] {
  const section = text.slice(text.search(/Exit codes/));
  return [...section.matchAll(/^#?\s+(\d{1,3})\s{2,}\S/gm)]
    .map((m) => Number(m[1]))
    .filter((c, i, all) => all.indexOf(c) === i);
}

describe('scripts/deploy-windows.ps1 follows the contract of scripts/deploy-linux.sh', () => {
  const ps = repoFile('scripts/deploy-windows.ps1');
  const block = paramBlock(ps);

  it('starts with a param block (named parameters: how managed Run Command passes them on Windows)', () => {
    expect(block.first).toBe(true);
  });

  it('takes every parameter the Linux script takes, under the same name', () => {
    const linux = linuxParameters();
    expect(linux).toEqual(
      expect.arrayContaining(['ARTIFACT_URL', 'VERSION', 'INSTALL_ROOT', 'SERVICE_NAME', 'HEALTH_URL']),
    );
    expect(linux.filter((name) => !block.names.includes(name))).toEqual([]);
  });

  it('falls back to the environment variable of each parameter, as the Linux script reads them', () => {
    for (const name of block.names) expect(ps).toContain(`[string]$${name} = $env:${name}`);
  });

  it('documents every parameter it declares', () => {
    const help = ps.slice(0, ps.indexOf('#>'));
    expect(
      block.names.filter((name) => !new RegExp(`^\\s+${name}\\s+(required|optional)`, 'm').test(help)),
    ).toEqual([]);
  });

  it('documents the same exit codes, and exits only with those', () => {
    const linux = documentedExitCodes(repoFile('scripts/deploy-linux.sh'));
    const windows = documentedExitCodes(ps.slice(0, ps.indexOf('#>')));
    expect(linux).toEqual([0, 2, 10, 11, 12, 13]);
    expect(windows).toEqual(linux);
    const used = [...ps.matchAll(/Stop-Deploy (\d+)/g)].map((m) => Number(m[1]));
    expect(used.filter((code) => !windows.includes(code))).toEqual([]);
    expect(new Set(used)).toEqual(new Set([2, 10, 11, 12, 13]));
  });

  it('syncs with msdeploy to the local IIS, recycles, checks health, and never prints the SAS', () => {
    expect(ps).toContain('-verb:sync -source:package=');
    expect(ps).toContain('-dest:auto');
    expect(ps).toMatch(/recycle/);
    expect(ps).toContain("$SAFE_URL = ($ARTIFACT_URL -split '\\?', 2)[0]");
    // Every log line that names the package URL uses the safe form.
    const logged = ps
      .split('\n')
      .filter((l) => /Write-Log|Stop-Deploy/.test(l) && l.includes('$ARTIFACT_URL'));
    expect(logged).toEqual([]);
    // Downloads from Blob storage with the VM's identity (IMDS) when the URL carries no SAS.
    expect(ps).toContain("'http://169.254.169.254'");
    expect(ps).toContain('/metadata/identity/oauth2/token?api-version=2018-02-01');
  });
});

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
        '  "network traffic-manager")',
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
