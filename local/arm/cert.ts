/** Self-signed certificate of the ARM stand-in: the SDK's bearer policy refuses http://, so it must speak TLS. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

/** Where the certificate and key live, and the PEM text of the certificate (it is its own CA). */
export interface ArmCertificate {
  certPath: string;
  keyPath: string;
  caPem: string;
  keyPem: string;
}

/** Path of the certificate the stand-in uses for a data dir (the launcher sets NODE_EXTRA_CA_CERTS to it). */
export function armCertPath(dataDir: string): string {
  return join(dataDir, 'arm-cert.pem');
}

/**
 * Generates the certificate on first start (openssl, SAN IP:127.0.0.1 and DNS:localhost) and reuses it
 * afterwards, so a client that trusted it once keeps trusting it across restarts.
 */
export function ensureArmCertificate(dataDir: string): ArmCertificate {
  mkdirSync(dataDir, { recursive: true });
  const certPath = armCertPath(dataDir);
  const keyPath = join(dataDir, 'arm-key.pem');
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    // Generate next to the final files and rename, so a crash never leaves a half-written pair behind.
    const tmpCert = `${certPath}.${process.pid}.tmp`;
    const tmpKey = `${keyPath}.${process.pid}.tmp`;
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-sha256',
          '-days',
          '3650',
          '-subj',
          '/CN=local-arm-stand-in',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-addext',
          'basicConstraints=critical,CA:TRUE',
          '-keyout',
          tmpKey,
          '-out',
          tmpCert,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(
        `ARM stand-in: generating the TLS certificate with openssl failed: ${stderr || String(err)}`,
      );
    }
    renameSync(tmpKey, keyPath);
    renameSync(tmpCert, certPath);
  }
  return {
    certPath,
    keyPath,
    caPem: readFileSync(certPath, 'utf8'),
    keyPem: readFileSync(keyPath, 'utf8'),
  };
}
