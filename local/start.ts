/**
 * `npm start`: the local stack (fleet, ARM stand-in, the app on the local Functions host, traffic and
 * alerts), then a banner with the URLs, the key and a ready-to-paste service hook. Ctrl-C stops it all.
 */
import { join } from 'node:path';
import { packageRoot } from '../src/adapters/scripts';
import { localAddresses } from './ports';
import { startStack, type Stack } from './stack';

function parseOverrides(): Record<string, unknown> | undefined {
  const raw = process.env.LOCAL_TARGET_OVERRIDES;
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch (err) {
    throw new Error(
      `LOCAL_TARGET_OVERRIDES is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function dnsTtl(stack: Stack): string {
  const dns = stack.arm.control.profile().properties.dnsConfig as { ttl?: number } | undefined;
  return String(dns?.ttl ?? '?');
}

/** The banner printed once everything listens. */
export function banner(stack: Stack, root: string): string {
  const { hostUrl, functionKey: key, fleet, arm } = stack;
  const slots = fleet.topology.slots.map((s) => `${s.name} http://${s.endpointTarget}:${s.port}`).join(', ');
  const fixture = join(root, 'test', 'fixtures', 'devops', 'build.complete.json');
  return [
    '',
    'Blue/green release orchestrator: local stack is up',
    `  app (Functions host)   ${hostUrl}/api   function key: ${key}`,
    `  ARM stand-in           ${arm.url}  (trusted through NODE_EXTRA_CA_CERTS=${arm.certPath})`,
    `  fleet                  ${slots}; artifacts ${fleet.artifactBaseUrl}; control ${fleet.controlUrl}`,
    `  DNS (Traffic Manager)  udp ${stack.dns.host}:${stack.dns.port} answers ${stack.dnsName} with the enabled endpoint, TTL ${dnsTtl(stack)} s`,
    stack.trafficProvider === 'frontDoor'
      ? `  traffic + alerts       ${stack.fleet.traffic?.stats().clients ?? 0} clients go through the Front Door edge below (target webapp switches the origin group);`
      : `  traffic + alerts       ${stack.fleet.traffic?.stats().clients ?? 0} clients resolve ${stack.dnsName} through it and keep each answer for its TTL;`,
    `                         errors above threshold post an alert to the app; where requests land: ${fleet.controlUrl}/traffic`,
    `  Front Door edge        http://${stack.edge.host}:${stack.edge.port} routes to the origins the stand-in's edge serves (LOCAL_TRAFFIC_PROVIDER=frontDoor sends the clients through it)`,
    '',
    'Send the published Azure DevOps "build completed" sample for target webapp:',
    `  curl -sS -u devops:${stack.serviceHookSecret} -H 'content-type: application/json' \\`,
    `    --data @${fixture} \\`,
    `    '${hostUrl}/api/hooks/devops/webapp?code=${key}'`,
    'Then watch it:',
    `  curl -sS '${hostUrl}/api/releases?code=${key}'`,
    'Approval links go to the notifier only (here: the fleet inbox), never to the status API:',
    `  curl -sS '${fleet.controlUrl}/notifications'`,
    `Sign in (development stand-in for App Service authentication): ${hostUrl}/.auth/login/aad`,
    '',
    'Ctrl-C stops everything; state is kept in LOCAL_DATA_DIR and resumes on the next start.',
  ].join('\n');
}

async function main(): Promise<void> {
  const root = packageRoot(__dirname);
  const at = localAddresses();
  const stack = await startStack({
    // Stack N keeps its own state: a second checkout's or a second stack's releases never mix with the first's.
    dataDir:
      process.env.LOCAL_DATA_DIR ?? join(root, at.stack === 0 ? '.local-data' : `.local-data-${at.stack}`),
    hostPort: at.hostPort,
    armPort: at.armPort,
    artifactPort: at.artifactPort,
    controlPort: at.controlPort,
    dnsPort: at.dnsPort,
    edgePort: at.edgePort,
    network: at.network,
    enforceRbac: process.env.LOCAL_RBAC !== 'off',
    targetOverrides: parseOverrides() ?? {},
    trafficAndAlerts: true,
    hostOutput: 'inherit',
    restartHostOnCrash: true,
  });
  console.log(banner(stack, root));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
