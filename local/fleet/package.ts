import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoFile } from './paths';

/** What a build of the sample app behaves like. */
export interface SampleAppBuild {
  version: string;
  /** Fraction (0..1) of `/` requests answered 500; 0 for a good build. */
  errorRate: number;
  name?: string;
}

/** Versions name folders on the instances: the deploy script accepts the same characters. */
export const VERSION_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

// Fixed so that the same build always yields the same bytes.
const MTIME = 1_700_000_000;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** One ustar header block (the POSIX tar format every `tar` reads). */
function tarHeader(name: string, size: number, mode: number): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(mode, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(MTIME, 12), 136, 'ascii');
  header.fill(' ', 148, 156);
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write('root', 265, 'ascii');
  header.write('root', 297, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(octal(sum, 7) + ' ', 148, 'ascii');
  return header;
}

/** A gzipped tar of the given files, at the archive's root. */
export function tarGz(files: Array<{ name: string; content: Buffer; mode?: number }>): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    blocks.push(tarHeader(file.name, file.content.length, file.mode ?? 0o644), file.content);
    const pad = (512 - (file.content.length % 512)) % 512;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** The files of one build of the sample app: its server and the app.json that sets its behaviour. */
export function sampleAppFiles(build: SampleAppBuild): Array<{ name: string; content: Buffer }> {
  const appJson = { name: build.name ?? 'webapp', version: build.version, errorRate: build.errorRate };
  return [
    { name: 'server.js', content: readFileSync(repoFile('local/sample-app/server.js')) },
    { name: 'app.json', content: Buffer.from(JSON.stringify(appJson, null, 2) + '\n') },
  ];
}

/** The deployable package (tar.gz) of one build of the sample app. */
export function buildSampleAppPackage(build: SampleAppBuild): Buffer {
  if (!VERSION_PATTERN.test(build.version)) throw new Error(`package: invalid version '${build.version}'`);
  return tarGz(sampleAppFiles(build));
}

/**
 * Installs a release directly, the way the deploy script lays it out (`releases/<v>` and a relative
 * `current` link), so a fresh instance serves something before its first deploy. Leaves an existing
 * `current` alone: what was deployed survives restarts of the local stack.
 */
export function ensureInitialRelease(root: string, build: SampleAppBuild): void {
  const current = path.join(root, 'current');
  if (existsSync(current)) return;
  const releaseDir = path.join(root, 'releases', build.version);
  if (!existsSync(releaseDir)) {
    const tmp = `${releaseDir}.init-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const file of sampleAppFiles(build)) writeFileSync(path.join(tmp, file.name), file.content);
    renameSync(tmp, releaseDir);
  }
  const link = path.join(root, `.current.init-${process.pid}`);
  rmSync(link, { force: true });
  symlinkSync(path.join('releases', build.version), link);
  renameSync(link, current);
}
