#!/usr/bin/env node
/**
 * `release`: the operators' command line over the app's HTTP API (`npm run release -- …`, or the package's
 * `release` bin). `watch` follows a release until it ends and exits with a code for its final status, so a
 * pipeline step can wait on it.
 */
import { EXIT_CODES, hasEnded } from '../core/console/model';
import type { ReleaseView, TargetFreeze } from '../core/domain';
import { RELEASE_ID_PATTERN } from '../core/names';
import { readFileSync } from 'node:fs';
import { ApiError, createApi, devSignIn, type Api, type ApiOptions } from './api';
import { renderChanges, renderList, renderRelease, type Style } from './render';

/** Exit codes that are not a release's status (those are EXIT_CODES). */
export const CLI_EXIT = { ok: 0, usage: 2, api: 3 } as const;

/** What the CLI touches outside itself, so tests can run it in-process. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal: `watch` then redraws in place, else prints one line per change. */
  isTTY: boolean;
  now(): Date;
  sleep(ms: number): Promise<void>;
  fetch?: typeof fetch;
}

const USAGE = `Usage: release <command> [options]

Commands:
  ls                       list releases, a page at a time (--target, --status, --limit, --continuation-token)
  show <id>                a release with its timeline
  watch <id|target>        follow a release (a target: its running, queued or newest release) until it ends;
                           exit code: 0 Succeeded, 10 Failed, 11 RolledBack, 12 Rejected, 13 Expired, 14 Superseded
  approve <id>             approve as the signed-in identity (--comment, --acknowledge-alerts)
  reject <id>              reject as the signed-in identity (--comment)
                           (a signed-in approver of the target: see Credentials)
  rollback <id>            swap traffic back (--reason, required)
  freeze <target>          queue builds and hold swaps (--reason, required; --until <ISO 8601 time>, optional)
  unfreeze <target>        end the target's freeze: the newest queued build starts

Options:
  --api <url>              the app's base URL (env RELEASE_API; default http://127.0.0.1:7071)
  --interval <ms>          watch: time between polls (default 2000)
  --sign-in-as <name>      approve/reject/freeze/unfreeze: sign in on the local host's development sign-in as <name>
                           (env RELEASE_SIGN_IN_AS; local stack only, anyone can be anyone there)
  --token-file <path>      approve/reject: read the Entra ID access token from a file (- for stdin)
  --json                   print the API's JSON instead of text
  -h, --help               this help

Credentials (never printed, never taken as an argument): RELEASE_FUNCTION_KEY, a function key (reads,
rollback); for approve/reject on Azure a signed-in identity that App Service authentication accepts:
RELEASE_TOKEN (or --token-file), an Entra ID access token whose audience is the app (sent as
Authorization: Bearer), or RELEASE_SESSION, the AppServiceAuthSession cookie of a browser sign-in.
Other exit codes: 2 bad arguments, 3 the API refused or could not be reached.`;

/** A usage error: printed with the usage, exit 2. */
class UsageError extends Error {}

interface Parsed {
  command: string;
  args: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set([
  'api',
  'target',
  'status',
  'limit',
  'continuation-token',
  'interval',
  'reason',
  'comment',
  'until',
  'sign-in-as',
  'token-file',
]);
const BOOLEAN_FLAGS = new Set(['json', 'help', 'acknowledge-alerts', 'no-color']);

/** Parses `command args --flag value --flag=value --bool`; unknown flags are refused, not ignored. */
export function parseArgs(argv: readonly string[]): Parsed {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h') {
      flags.set('help', true);
      continue;
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (BOOLEAN_FLAGS.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (VALUE_FLAGS.has(name)) {
      const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  const [command = '', ...args] = positional;
  return { command, args, flags };
}

function flag(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

function one(p: Parsed, what: string): string {
  if (p.args.length !== 1)
    throw new UsageError(`${p.command} needs exactly one ${what}, got ${p.args.length}`);
  return p.args[0]!;
}

function releaseId(p: Parsed): string {
  const id = one(p, 'release id');
  if (!RELEASE_ID_PATTERN.test(id))
    throw new UsageError(`'${id}' is not a release id (<target>-b<build id>)`);
  return id;
}

function positiveInt(p: Parsed, name: string, fallback: number, max: number): number {
  const text = flag(p, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max)
    throw new UsageError(`--${name} must be an integer from 1 to ${max}`);
  return n;
}

/**
 * The release `watch <target>` follows: the one its lane runs (Running), else the next one queued, else its newest.
 * The list pages in the task hub's order (by release id), so "newest" reads every page of the target.
 */
async function releaseOfTarget(api: Api, target: string): Promise<string> {
  for (const status of ['Running', 'Queued']) {
    const page = await api.listReleases({ target, status, limit: 10 });
    if (page.releases[0]) return page.releases[0].id;
  }
  let newest: ReleaseView | undefined;
  let token: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await api.listReleases({
      target,
      limit: 500,
      ...(token ? { continuationToken: token } : {}),
    });
    for (const r of page.releases) if (!newest || r.createdAt > newest.createdAt) newest = r;
    token = page.continuationToken;
    if (!token) break;
  }
  if (!newest) throw new ApiError(`target '${target}' has no release`);
  return newest.id;
}

/** A target name as the app's configuration allows it. */
const TARGET_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** One line about a freeze answer: who froze the target, until when and why; or that it is (or was not) frozen. */
function freezeLine(target: string, answer: Record<string, unknown>): string {
  const f = answer.frozen as TargetFreeze | null | undefined;
  const pending = answer.pending ? ' (being recorded)' : '';
  if (f) {
    return `${target}: frozen by ${f.by} since ${f.since}${f.until ? ` until ${f.until}` : ' until unfrozen'}: ${f.reason}${pending}`;
  }
  return answer.changed === false
    ? `${target}: was not frozen; nothing changed`
    : `${target}: unfrozen; the newest queued build starts${pending}`;
}

async function watch(api: Api, p: Parsed, io: CliIo, style: Style): Promise<number> {
  const what = one(p, 'release id or target');
  const interval = positiveInt(p, 'interval', 2000, 600_000);
  const id = RELEASE_ID_PATTERN.test(what) ? what : await releaseOfTarget(api, what);
  let last: ReleaseView | undefined;
  let failures = 0;
  for (;;) {
    let view: ReleaseView;
    try {
      view = await api.getRelease(id);
      failures = 0;
    } catch (err) {
      // A restarting app or a storage hiccup must not end a pipeline's wait; anything else does.
      if (!(err instanceof ApiError) || !err.transient || ++failures > 30) throw err;
      io.err(`${err.message}; retrying`);
      await io.sleep(interval);
      continue;
    }
    if (p.flags.has('json')) {
      if (!last || JSON.stringify(last) !== JSON.stringify(view)) io.out(JSON.stringify(view));
    } else if (io.isTTY) {
      const header = `Every ${interval / 1000}s: release watch ${what}    ${io.now().toISOString()}`;
      // Home, clear the screen, then the frame: the view is redrawn in place, like `watch` / argo rollouts.
      io.out(`\u001b[H\u001b[2J${header}\n\n${renderRelease(view, io.now(), style)}`);
    } else {
      for (const line of renderChanges(last, view, style)) io.out(line);
    }
    last = view;
    if (hasEnded(view)) return EXIT_CODES[view.status];
    await io.sleep(interval);
  }
}

/** The bearer token: `--token-file` (a file, or `-` for stdin), else RELEASE_TOKEN. */
function bearerToken(p: Parsed, env: NodeJS.ProcessEnv): string | undefined {
  const file = flag(p, 'token-file');
  if (file === undefined) return env.RELEASE_TOKEN || undefined;
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UsageError(`--token-file: cannot read ${file === '-' ? 'stdin' : file} (${code})`);
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token)) {
    throw new UsageError('--token-file must hold one access token (no spaces or line breaks inside it)');
  }
  return token;
}

/**
 * Decides as a signed-in person: the development sign-in (local host), a session cookie or a bearer token
 * (App Service authentication on Azure). A refusal for want of an identity says how to get one.
 */
async function decideAsSignedIn(
  p: Parsed,
  env: NodeJS.ProcessEnv,
  io: CliIo,
  options: ApiOptions,
  decision: 'approve' | 'reject',
  id: string,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const signInAs = flag(p, 'sign-in-as') ?? (env.RELEASE_SIGN_IN_AS || undefined);
  const session = signInAs
    ? await devSignIn(options.baseUrl, signInAs, io.fetch ? { fetch: io.fetch } : {})
    : env.RELEASE_SESSION || undefined;
  const api = createApi({ ...options, ...(session ? { sessionCookie: session } : {}) });
  try {
    return await api.decide(id, decision, body);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    const how =
      options.bearerToken || session
        ? "App Service authentication did not accept the credential (expired, or a token whose audience is not one of the app's allowed token audiences)"
        : `${decision} needs a signed-in approver of the target: on the local stack add --sign-in-as <name> (its development sign-in); on Azure set RELEASE_TOKEN to an Entra ID access token for the app (or RELEASE_SESSION)`;
    throw new ApiError(`${err.message}\n${how}`, err.status, err.code);
  }
}

async function run(p: Parsed, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const style: Style = { color: io.isTTY && !p.flags.has('no-color') && env.NO_COLOR === undefined };
  const token = bearerToken(p, env);
  const options: ApiOptions = {
    baseUrl: flag(p, 'api') ?? env.RELEASE_API ?? 'http://127.0.0.1:7071',
    ...(env.RELEASE_FUNCTION_KEY ? { functionKey: env.RELEASE_FUNCTION_KEY } : {}),
    ...(token ? { bearerToken: token } : {}),
    ...(io.fetch ? { fetch: io.fetch } : {}),
  };
  const api = createApi(options);
  const json = p.flags.has('json');
  switch (p.command) {
    case 'ls': {
      if (p.args.length > 0) throw new UsageError(`ls takes no arguments, got ${p.args.join(' ')}`);
      const status = flag(p, 'status');
      const target = flag(p, 'target');
      const token = flag(p, 'continuation-token');
      const page = await api.listReleases({
        ...(target ? { target } : {}),
        ...(status ? { status } : {}),
        limit: positiveInt(p, 'limit', 50, 500),
        ...(token ? { continuationToken: token } : {}),
      });
      io.out(json ? JSON.stringify(page, null, 2) : renderList(page.releases, style));
      if (!json && page.continuationToken) {
        io.err(`More releases may follow: add --continuation-token ${page.continuationToken}`);
      }
      return CLI_EXIT.ok;
    }
    case 'show': {
      const view = await api.getRelease(releaseId(p));
      io.out(json ? JSON.stringify(view, null, 2) : renderRelease(view, io.now(), style));
      return CLI_EXIT.ok;
    }
    case 'watch':
      return watch(api, p, io, style);
    case 'approve':
    case 'reject': {
      const id = releaseId(p);
      const comment = flag(p, 'comment');
      const answer = await decideAsSignedIn(p, env, io, options, p.command, id, {
        ...(comment ? { comment } : {}),
        ...(p.flags.has('acknowledge-alerts') ? { acknowledgeAlerts: true } : {}),
      });
      io.out(
        json
          ? JSON.stringify(answer, null, 2)
          : `${id}: ${p.command === 'approve' ? 'approved' : 'rejected'} by ${String(answer.approver ?? 'you')}${answer.pending ? ' (being recorded)' : ''}`,
      );
      return CLI_EXIT.ok;
    }
    case 'rollback': {
      const id = releaseId(p);
      const reason = flag(p, 'reason');
      if (!reason) throw new UsageError('rollback needs --reason (it is recorded with the rollback)');
      const answer = await api.rollback(id, { reason });
      io.out(
        json
          ? JSON.stringify(answer, null, 2)
          : `${id}: rollback ${answer.rollback === 'already-requested' ? 'was already requested' : 'requested'}; follow it with: release watch ${id}`,
      );
      return CLI_EXIT.ok;
    }
    case 'freeze':
    case 'unfreeze': {
      const target = one(p, 'target');
      if (!TARGET_NAME.test(target)) throw new UsageError(`'${target}' is not a target name`);
      const reason = flag(p, 'reason');
      const until = flag(p, 'until');
      if (p.command === 'freeze' && !reason) {
        throw new UsageError('freeze needs --reason (it is recorded and shown with the freeze)');
      }
      if (p.command === 'unfreeze' && (reason || until)) {
        throw new UsageError('unfreeze takes no --reason or --until');
      }
      // Recorded as who froze it: the signed-in person when the CLI signs in (as for approvals), else the key.
      const signInAs = flag(p, 'sign-in-as') ?? (env.RELEASE_SIGN_IN_AS || undefined);
      const session = signInAs
        ? await devSignIn(options.baseUrl, signInAs, io.fetch ? { fetch: io.fetch } : {})
        : env.RELEASE_SESSION || undefined;
      const as = session ? createApi({ ...options, sessionCookie: session }) : api;
      const answer = await as.freeze(
        target,
        p.command,
        p.command === 'freeze' ? { reason, ...(until ? { until } : {}) } : undefined,
      );
      io.out(json ? JSON.stringify(answer, null, 2) : freezeLine(target, answer));
      return CLI_EXIT.ok;
    }
    case '':
      throw new UsageError('no command given');
    default:
      throw new UsageError(`unknown command '${p.command}'`);
  }
}

/** Runs the CLI; resolves to the process exit code and never throws. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  try {
    const parsed = parseArgs(argv);
    if (parsed.flags.has('help') || parsed.command === 'help') {
      io.out(USAGE);
      return CLI_EXIT.ok;
    }
    return await run(parsed, env, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`release: ${err.message}\n\n${USAGE}`);
      return CLI_EXIT.usage;
    }
    if (err instanceof ApiError) {
      io.err(`release: ${err.message}`);
      return CLI_EXIT.api;
    }
    io.err(`release: ${err instanceof Error ? err.message : String(err)}`);
    return CLI_EXIT.api;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2), process.env, {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    isTTY: process.stdout.isTTY === true,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  }).then((code) => {
    process.exitCode = code;
  });
}
