// The TLS certificate of the HTTP/2 scenarios: a self-signed EC key and certificate for
// localhost and 127.0.0.1, made once per run with the system's openssl (node:crypto makes keys
// but not X.509 certificates) into a temporary directory. The servers read the files named in
// their environment; the load client trusts the certificate as its only CA.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const OPENSSL = '/usr/bin/openssl';

/** Environment variables that give a server process the key and certificate files. */
export const TLS_KEY_ENV = 'WSMITH_BENCH_TLS_KEY';
export const TLS_CERT_ENV = 'WSMITH_BENCH_TLS_CERT';

export interface BenchCertificate {
  keyFile: string;
  certFile: string;
  /** Remove the files. */
  remove(): void;
}

/** A fresh certificate, or why none could be made. */
export function makeCertificate(): BenchCertificate | string {
  if (!existsSync(OPENSSL)) return `${OPENSSL} not found`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wsmith-bench-tls-'));
  const keyFile = path.join(dir, 'localhost.key');
  const certFile = path.join(dir, 'localhost.crt');
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    // P-256 ECDSA, as most sites serve: the handshake cost a browser meets in practice.
    execFileSync(OPENSSL, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { stdio: 'ignore' });
  } catch (error) {
    remove();
    return `openssl failed: ${(error as Error).message}`;
  }
  return { keyFile, certFile, remove };
}
