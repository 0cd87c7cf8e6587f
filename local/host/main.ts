/**
 * CLI of the local Functions host: loads the compiled app (package.json `main`), serves it on 127.0.0.1 and
 * runs the Durable engine on SQLite. `node dist/local/host/main.js [--app <glob>] [--port N] [--data-dir D]
 * [--key K] [--in-memory] [--dir <appDir>]`; env: PORT, LOCAL_FUNCTION_KEY, LOCAL_DATA_DIR.
 */
import type { RunningHost, StartHostOptions } from './host';
import { DEFAULT_FUNCTION_KEY, startHost } from './host';

/** Parses the CLI arguments into host options. */
export function parseArgs(argv: string[]): StartHostOptions {
  const options: StartHostOptions = {};
  const apps: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`host CLI: ${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--app':
        apps.push(value());
        break;
      case '--port':
        options.port = Number(value());
        break;
      case '--data-dir':
        options.dataDir = value();
        break;
      case '--key':
        options.functionKey = value();
        break;
      case '--dir':
        options.appDir = value();
        break;
      case '--in-memory':
        options.inMemory = true;
        break;
      case '--quiet':
        options.logs = false;
        break;
      default:
        throw new Error(`host CLI: unknown argument '${arg}'`);
    }
  }
  if (apps.length > 0) options.appEntry = apps;
  return options;
}

/** Prints where the host listens, its key and its HTTP functions. */
export function printBanner(host: RunningHost): void {
  const lines = [`Local Functions host listening on ${host.url}`];
  const keyNote =
    host.functionKey === DEFAULT_FUNCTION_KEY ? ' (default; set LOCAL_FUNCTION_KEY to change it)' : '';
  lines.push(`  function key: ${host.functionKey}${keyNote}`);
  lines.push(`  durable state: ${host.dataDir ?? 'in memory'}`);
  if (host.settingsFile) lines.push(`  settings: ${host.settingsFile}`);
  lines.push('  functions:');
  for (const fn of host.registry.functions.values()) {
    const trigger = Object.values(fn.metadata.bindings).find((b) => b.type.endsWith('Trigger'));
    if (trigger?.type === 'httpTrigger') {
      const methods = Array.isArray(trigger.methods) ? (trigger.methods as string[]).join(',') : 'GET,POST';
      const route = typeof trigger.route === 'string' && trigger.route ? trigger.route : fn.metadata.name;
      lines.push(
        `    ${fn.metadata.name}: [${methods}] ${host.url}/${host.routePrefix}/${route} (${String(trigger.authLevel)})`,
      );
    } else {
      lines.push(`    ${fn.metadata.name}: ${trigger?.type ?? 'unknown trigger'}`);
    }
  }
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  const host = await startHost(parseArgs(process.argv.slice(2)));
  printBanner(host);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`Local Functions host: ${signal} received, shutting down`);
    host.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`Local Functions host: shutdown failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Started by a launcher with an IPC channel: when the launcher dies (even by kill -9), go too,
  // so no orphan keeps the port.
  if (process.connected) process.on('disconnect', () => stop('launcher gone'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
