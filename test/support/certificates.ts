/**
 * A self-signed certificate for localhost and 127.0.0.1, made by Debian's openssl for the tests
 * that need TLS (wss://, HTTP/2 with ALPN). `hasOpenssl` tells whether it can be made.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL = '/usr/bin/openssl';
export const hasOpenssl = existsSync(OPENSSL);

export interface Pem {
  key: Buffer;
  cert: Buffer;
}

/** A fresh EC key and certificate valid for localhost and 127.0.0.1 (two days). */
export function localhostCertificate(): Pem {
  const dir = mkdtempSync(join(tmpdir(), 'wsmith-cert-'));
  try {
    const key = join(dir, 'localhost.key');
    const cert = join(dir, 'localhost.crt');
    execFileSync(OPENSSL, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { stdio: 'ignore' });
    return { key: readFileSync(key), cert: readFileSync(cert) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
