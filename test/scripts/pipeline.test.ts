/**
 * examples/azure-pipelines.yml publishes both packages of a build where the targets' artifactUrlTemplate
 * points: the tar.gz for deploy-linux.sh and the Web Deploy package for deploy-windows.ps1. (Pester parses
 * its PowerShell steps: test/ps/scripts.Tests.ps1.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const pipeline = readFileSync(path.join(REPO, 'examples/azure-pipelines.yml'), 'utf8');
const windowsScript = readFileSync(path.join(REPO, 'scripts/deploy-windows.ps1'), 'utf8');

describe('examples/azure-pipelines.yml', () => {
  it('builds both packages in every run: no job is behind a condition or a parameter', () => {
    expect(pipeline).toMatch(/^ {6}- job: linux$/m);
    expect(pipeline).toMatch(/^ {6}- job: windows$/m);
    expect(pipeline).not.toMatch(/\$\{\{\s*if|condition:|^parameters:/m);
  });

  it('uploads builds/<id>/webapp.tar.gz and builds/<id>/webapp.zip, immutable, with the Entra ID identity', () => {
    expect(pipeline).toContain("packagePath: 'builds/$(Build.BuildId)'");
    for (const name of ['webapp.tar.gz', 'webapp.zip']) {
      const upload = pipeline.indexOf(`--name "$(packagePath)/${name}"`);
      expect(upload).toBeGreaterThan(0);
      const block = pipeline.slice(pipeline.lastIndexOf('az storage blob upload', upload), upload + 200);
      expect(block).toContain('--auth-mode login');
      expect(block).toContain('--overwrite false');
    }
  });

  it('the Web Deploy package declares the parameter deploy-windows.ps1 sets, and carries the build number', () => {
    const declared = /-declareParam:name=([^,]+),kind=ProviderPath,scope=IisApp,/.exec(pipeline)?.[1];
    expect(declared).toBe('IIS Web Application Name');
    expect(windowsScript).toContain('-setParam:name=`"IIS Web Application Name`"');
    expect(pipeline).toContain('"-source:iisApp=$out" "-dest:package=$zip"');
    expect(pipeline).toContain('$app.version = $env:BUILD_BUILDNUMBER');
  });
});
