// What h2-connect-rate's handshakes cost without a WebSocket library: the same load client (the
// bench's own, which checks every answer) against servers that answer it with canned bytes, so
// that the server CPU per handshake is TLS alone (HTTP/1.1) or node:http2 + nghttp2 alone
// (HTTP/2). Set beside wsmith-h1's and wsmith-h2's figures it shows what wsmith adds.
// `node build/bench/experiments/handshake-floor.js [rounds]` (after `npm run build`).
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { makeCertificate, TLS_CERT_ENV, TLS_KEY_ENV } from '../certificate.js';
import { acceptKeyFor, SAMPLE_KEY } from '../load/frames.js';
import type { LoadJob } from '../load/job.js';
import { runClient } from '../processes.js';
import type { Transport } from '../targets.js';

const RESPONSE = Buffer.from(
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(SAMPLE_KEY)}\r\n\r\n`,
  'latin1',
);
const CLIENT_CLOSE_LENGTH = 8; // 2 header bytes + 4 mask bytes + status 1000
const SERVER_CLOSE = Buffer.from([0x88, 0x02, 0x03, 0xe8]); // RFC 6455 §5.5.1, 1000

/** TLS (ALPN http/1.1): a canned 101 after the request head, a close frame after the client's, then end. */
function tlsServer(key: Buffer, cert: Buffer): tls.Server {
  return tls.createServer({ key, cert, ALPNProtocols: ['http/1.1'] }, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    let received = Buffer.alloc(0);
    let upgraded = false;
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!upgraded) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = true;
        received = received.subarray(end + 4);
        socket.write(RESPONSE);
      }
      if (received.length >= CLIENT_CLOSE_LENGTH) socket.end(SERVER_CLOSE);
    });
  });
}

/** HTTP/2 with extended CONNECT (RFC 8441 §3): 200, a close frame after the client's, END_STREAM. */
function http2Server(key: Buffer, cert: Buffer): http2.Http2SecureServer {
  const server = http2.createSecureServer({ key, cert, settings: { enableConnectProtocol: true } });
  server.on('sessionError', () => {});
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    if (headers[':method'] !== 'CONNECT' || headers[':protocol'] !== 'websocket') return void stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    stream.respond({ ':status': 200 }, { endStream: false });
    let received = 0;
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= CLIENT_CLOSE_LENGTH) stream.end(SERVER_CLOSE);
    });
  });
  return server;
}

function serve(transport: Transport): void {
  const key = readFileSync(process.env[TLS_KEY_ENV] as string);
  const cert = readFileSync(process.env[TLS_CERT_ENV] as string);
  const server = transport === 'h2' ? http2Server(key, cert) : tlsServer(key, cert);
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
}

async function measure(transport: Transport, certFile: string, env: Record<string, string>): Promise<string> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', transport], { env: { ...process.env, ...env } });
  try {
    const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', resolve));
    const job: LoadJob = {
      kind: 'connect',
      params: { parallel: 32 },
      port,
      serverPid: child.pid as number,
      rawEcho: false,
      deflate: false,
      transport,
      certFile,
      warmupMs: 750,
      measureMs: 2500,
    };
    const result = await runClient(job);
    if (!result.ok) return `FAILED: ${result.error}`;
    const server = ((result.serverCpu.user + result.serverCpu.system) / result.units) * 1e6;
    const client = (result.clientCpu / result.units) * 1e6;
    const other = (result.otherCpu / result.seconds) * 100;
    return `${(result.units / result.seconds).toFixed(0)} handshakes/s, server ${server.toFixed(0)} µs/handshake, client ${client.toFixed(0)} µs, other ${other.toFixed(0)}%`;
  } finally {
    child.kill();
  }
}

async function main(): Promise<void> {
  const certificate = makeCertificate();
  if (typeof certificate === 'string') throw new Error(certificate);
  const env = { [TLS_KEY_ENV]: certificate.keyFile, [TLS_CERT_ENV]: certificate.certFile };
  try {
    const rounds = Number(process.argv[2] ?? 3);
    for (let round = 1; round <= rounds; round++) {
      for (const transport of ['h1-tls', 'h2'] as const) {
        const label = transport === 'h2' ? 'node:http2 alone, one session' : 'node:tls alone, resumed sessions';
        console.log(`round ${round} ${label.padEnd(34)} ${await measure(transport, certificate.certFile, env)}`);
      }
    }
  } finally {
    certificate.remove();
  }
}

const serving = process.argv.indexOf('--serve');
if (serving > 0) serve(process.argv[serving + 1] as Transport);
else main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
