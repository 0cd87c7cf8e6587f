/** The infrastructure's own wiring: modules, their params, the azd parameter file and azure.yaml. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  REPO,
  filesUnder,
  loadedFiles,
  modules,
  params,
  repoFile,
  skipBalanced,
  skipString,
  stripComments,
} from './bicep';

const bicepFiles = filesUnder('infra', '.bicep');

describe('infra/*.bicep modules', () => {
  it('finds the main template and its modules', () => {
    expect(bicepFiles).toEqual(
      expect.arrayContaining([
        'infra/main.bicep',
        'infra/app/api.bicep',
        'infra/app/rbac.bicep',
        'infra/app/target.bicep',
      ]),
    );
  });

  it.each(bicepFiles)('%s: every module and loaded file it references exists', (file) => {
    const src = repoFile(file);
    const referenced = [...modules(src).map((m) => m.path), ...loadedFiles(src)];
    const missing = referenced
      .filter((ref) => !ref.startsWith('br/') && !ref.startsWith('br:') && !ref.startsWith('ts:'))
      .filter((ref) => !existsSync(path.join(REPO, path.dirname(file), ref)));
    expect(missing).toEqual([]);
  });

  it.each(bicepFiles)('%s: passes each module only params it declares, and every required one', (file) => {
    const src = repoFile(file);
    const problems: string[] = [];
    for (const mod of modules(src)) {
      const declared = params(repoFile(path.posix.join(path.posix.dirname(file), mod.path)));
      const names = new Set(declared.map((p) => p.name));
      for (const passed of mod.params) {
        if (!names.has(passed)) problems.push(`${mod.symbol}: passes unknown param '${passed}'`);
      }
      for (const p of declared) {
        if (!p.hasDefault && !mod.params.includes(p.name))
          problems.push(`${mod.symbol}: required param '${p.name}' missing`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(bicepFiles)(
    '%s: no line break between call arguments or in a ternary (older Bicep rejects them)',
    (file) => {
      const text = stripComments(repoFile(file));
      const problems: string[] = [];
      // Blanks strings and nested [ ] / { } literals (multi-line literals are fine), keeping the rest.
      const flatten = (group: string): string => {
        let out = '';
        for (let i = 0; i < group.length;) {
          const c = group[i] as string;
          if (c === "'" || ((c === '[' || c === '{') && i > 0)) {
            i = c === "'" ? skipString(group, i) : skipBalanced(group, i);
            continue;
          }
          out += c;
          i += 1;
        }
        return out;
      };
      for (let i = 0; i < text.length;) {
        if (text[i] === "'") {
          i = skipString(text, i);
          continue;
        }
        if (text[i] === '(') {
          const group = text.slice(i, skipBalanced(text, i));
          if (flatten(group).includes('\n')) problems.push(group.slice(0, 60));
        }
        i += 1;
      }
      const ternaryLines = text.split('\n').filter((line) => /^\s*[?:]\s/.test(line));
      expect([...problems, ...ternaryLines]).toEqual([]);
    },
  );

  it('uses no registry modules (every module is in this repository, so the test above covers it)', () => {
    const registry = bicepFiles.flatMap((f) =>
      modules(repoFile(f)).filter((m) => /^(br|ts)[:/]/.test(m.path)),
    );
    expect(registry).toEqual([]);
  });

  it('deploys at subscription scope and tags everything with azd-env-name', () => {
    const main = repoFile('infra/main.bicep');
    expect(main).toMatch(/^targetScope = 'subscription'$/m);
    expect(main).toMatch(/'azd-env-name': environmentName/);
    // Every module that takes tags gets them.
    for (const mod of modules(main)) {
      const takesTags = params(repoFile(path.posix.join('infra', mod.path))).some((p) => p.name === 'tags');
      if (takesTags) expect(`${mod.symbol}: ${mod.values.tags}`).toBe(`${mod.symbol}: tags`);
    }
  });

  it('gives @secure() to every secret-bearing param, in every file', () => {
    const insecure = bicepFiles.flatMap((file) =>
      params(repoFile(file))
        .filter(
          (p) =>
            /secret|password|key$|Key$|webhookUrl/i.test(p.name) &&
            !/Name$|Names$|Id$|Settings$/.test(p.name),
        )
        .filter((p) => !p.secure)
        .map((p) => `${file}: ${p.name}`),
    );
    expect(insecure).toEqual([]);
  });

  it('outputs no secret values', () => {
    const offenders = bicepFiles.flatMap((file) =>
      repoFile(file)
        .split('\n')
        .filter((line) => /^output\s/.test(line))
        .filter((line) =>
          /listKeys|Secret\b|secretValue|Password|FunctionKey\b|FunctionKeyValue|SigningKey\b/.test(line),
        )
        .filter((line) => !/SecretName|secretName|SECRET_NAME/.test(line))
        .map((line) => `${file}: ${line}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe('infra/main.parameters.json', () => {
  const file = JSON.parse(repoFile('infra/main.parameters.json')) as {
    parameters: Record<string, { value: unknown }>;
  };
  const declared = params(repoFile('infra/main.bicep'));

  it('names only params main.bicep declares', () => {
    const names = new Set(declared.map((p) => p.name));
    expect(Object.keys(file.parameters).filter((n) => !names.has(n))).toEqual([]);
  });

  it('supplies every param main.bicep declares without a default', () => {
    const given = new Set(Object.keys(file.parameters));
    expect(declared.filter((p) => !p.hasDefault && !given.has(p.name)).map((p) => p.name)).toEqual([]);
  });

  it('maps the azd environment as the azd templates do', () => {
    expect(file.parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
    expect(file.parameters.location?.value).toBe('${AZURE_LOCATION}');
    expect(file.parameters.principalId?.value).toBe('${AZURE_PRINCIPAL_ID}');
  });

  it('never passes secretSeed (it must stay a fresh newGuid() on every deployment)', () => {
    expect(file.parameters.secretSeed).toBeUndefined();
    expect(declared.find((p) => p.name === 'secretSeed')?.defaultText).toBe('newGuid()');
  });

  it('reads every generated secret back from the vault, under the name keyvault.bicep stores it', () => {
    const keyVault = repoFile('infra/app/keyvault.bicep');
    const generated = Object.entries(file.parameters)
      .map(([name, p]) => [name, String(p.value)] as const)
      .filter(([, value]) => value.includes('secretOrRandomPassword'));
    expect(generated.map(([name]) => name).sort()).toEqual(
      [
        'alertsFunctionKey',
        'approvalSigningKey',
        'devopsFunctionKey',
        'serviceHookSecret',
        'vmAdminPassword',
      ].sort(),
    );
    for (const [name, value] of generated) {
      const m = /^\$\(secretOrRandomPassword \$\{AZURE_KEY_VAULT_NAME\} ([a-z0-9-]+)\)$/.exec(value);
      expect(m).not.toBeNull();
      // keyvault.bicep's `names` map: <param>: '<secret-name>'.
      expect(keyVault).toContain(`${name}: '${m?.[1]}'`);
      // The param is secure in main.bicep.
      expect(declared.find((p) => p.name === name)?.secure).toBe(true);
    }
  });

  it('gets the vault name from an output, so azd can read the secrets back next time', () => {
    expect(repoFile('infra/main.bicep')).toMatch(/^output AZURE_KEY_VAULT_NAME string = /m);
  });

  it('gets SAMPLE_TARGET_EXISTS from an output after the first provision (endpoint status survives re-provisioning)', () => {
    expect(file.parameters.sampleTargetExists?.value).toBe('${SAMPLE_TARGET_EXISTS=false}');
    expect(repoFile('infra/main.bicep')).toMatch(/^output SAMPLE_TARGET_EXISTS bool = true$/m);
    // The profile (with its endpoints' status) is written only when it does not exist yet.
    expect(repoFile('infra/app/target.bicep')).toMatch(
      /resource profile 'Microsoft\.Network\/trafficmanagerprofiles@2022-04-01' = if \(!profileExists\)/,
    );
  });
});

describe('azure.yaml', () => {
  const yaml = repoFile('azure.yaml');

  it('declares the api service as a TypeScript Function App at the repository root', () => {
    expect(yaml).toMatch(/^services:\n {2}api:\n {4}project: \.\n {4}language: ts\n {4}host: function\n/m);
    expect(existsSync(path.join(REPO, 'package.json'))).toBe(true);
    expect(existsSync(path.join(REPO, 'host.json'))).toBe(true);
    expect(existsSync(path.join(REPO, 'infra/main.bicep'))).toBe(true);
  });

  it('points every hook at an existing script', () => {
    const runs = [...yaml.matchAll(/^\s+run: (\S+)$/gm)].map((m) => m[1] as string);
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(runs.filter((r) => !existsSync(path.join(REPO, r)))).toEqual([]);
  });

  it('tags the Function App with azd-service-name api, as azd deploy finds it by that tag', () => {
    expect(repoFile('infra/app/api.bicep')).toMatch(/'azd-service-name': 'api'/);
  });
});
