'use strict';
/**
 * The sample web app the local fleet (and a real VM) runs: plain Node, no dependencies.
 * Reads its version and behaviour from app.json next to this file:
 *   { "name": "webapp", "version": "42", "errorRate": 0 }
 * errorRate (0..1) is the fraction of `/` requests answered 500: a "bad" build stays healthy on /health,
 * passes verification, and is caught only by the alert on its error rate during the bake.
 * Listens on HOST (default 0.0.0.0) and PORT (default 80). Under a supervisor that talks over IPC it
 * reports `{ type: 'listening', port }` and exits when the supervisor goes away, even on kill -9.
 */
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const app = JSON.parse(fs.readFileSync(path.join(__dirname, 'app.json'), 'utf8'));
const version = String(app.version);
const name = String(app.name || 'webapp');
const errorRate = Math.min(1, Math.max(0, Number(app.errorRate) || 0));
const instance = process.env.INSTANCE_NAME || require('node:os').hostname();
const startedAt = new Date().toISOString();

let served = 0;
/** Deterministic spread: exactly `errorRate` of the requests fail, evenly interleaved. */
function shouldFail() {
  const n = served++;
  return Math.floor((n + 1) * errorRate) > Math.floor(n * errorRate);
}

function send(res, status, type, body) {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-app-version': version,
    'x-instance': instance,
    'cache-control': 'no-store',
  });
  res.end(body);
}

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url || '/', 'http://localhost');
  if (url.pathname === '/health') {
    send(res, 200, 'application/json', JSON.stringify({ status: 'ok', version, instance, startedAt }));
    return;
  }
  if (url.pathname === '/') {
    if (shouldFail()) {
      send(res, 500, 'text/plain', `${name} ${version}: internal error (this build is bad on purpose)\n`);
      return;
    }
    const page =
      `<!doctype html><title>${escapeHtml(name)} ${escapeHtml(version)}</title>` +
      `<h1>${escapeHtml(name)}</h1><p>version <b>${escapeHtml(version)}</b> on ${escapeHtml(instance)}</p>\n`;
    send(res, 200, 'text/html; charset=utf-8', page);
    return;
  }
  send(res, 404, 'application/json', JSON.stringify({ error: 'not found', path: url.pathname }));
});

const host = process.env.HOST || '0.0.0.0';
const port = Number(process.env.PORT || 80);
server.on('error', (err) => {
  console.error(`${name} ${version}: cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  const actual = server.address().port;
  console.log(`${name} ${version} listening on ${host}:${actual} (errorRate ${errorRate})`);
  if (process.send) process.send({ type: 'listening', port: actual, version });
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The supervisor's IPC channel closes when it dies, however it dies: do not outlive it.
process.on('disconnect', stop);
