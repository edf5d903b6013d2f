// A self-signed certificate for localhost and 127.0.0.1, made once per test process by Debian's
// openssl (which .ci/run installs; without it, tests that need TLS skip, or fail under CI=true or
// WSMITH_REQUIRE_PEERS=1: see peers.ts).
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

let cached: Pem | null = null;

/** The server certificate (cached for the process). */
export function localhostCertificate(): Pem {
  if (cached !== null) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'wsmith-cert-'));
  try {
    const key = join(dir, 'server.key');
    const cert = join(dir, 'server.crt');
    execFileSync(OPENSSL, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { stdio: 'ignore' });
    cached = { key: readFileSync(key), cert: readFileSync(cert) };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
