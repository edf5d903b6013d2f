// h2-echo-small with the server's HTTP/2 connection window left at 65,535 bytes (node's default,
// as the bench runs it) and raised to 15 MiB (`session.setLocalWindowSize()` in the server's
// 'session' event): what the window does to the rate, the server CPU per message, and how many
// messages travel in one DATA frame (one 'data' event of a stream on the client).
// `node build/bench/experiments/h2-window.js [rounds]` (after `npm run build`).
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { makeCertificate, TLS_CERT_ENV, TLS_KEY_ENV } from '../certificate.js';
import { distinctPayloads, FrameRing, maskedFrame, Opcode } from '../load/frames.js';
import { extendedConnect, openSession, openStream } from '../load/h2-session.js';
import { FrameScanner } from '../load/scanner.js';
import { machineBusy, processCpu } from '../load/window.js';

const STREAMS = 100;
const IN_FLIGHT = 16;
const LARGE_WINDOW = 15 * 1024 * 1024;

interface EchoSocket {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'error', listener: () => void): unknown;
  send(data: Buffer, options: { binary: boolean }): void;
}

/** The bench's server (bench/server.ts), optionally with a larger connection window. */
async function serve(window: number): Promise<void> {
  const { WebSocketServer } = (await import('wsmith' as string)) as {
    WebSocketServer: new (options: { server: http2.Http2SecureServer }) => {
      on(event: 'connection', listener: (ws: EchoSocket) => void): unknown;
    };
  };
  const key = readFileSync(process.env[TLS_KEY_ENV] as string);
  const cert = readFileSync(process.env[TLS_CERT_ENV] as string);
  const server = http2.createSecureServer({ key, cert, allowHTTP1: true });
  if (window > 0) server.on('session', (session) => session.setLocalWindowSize(window));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
}

async function measure(window: number, certFile: string, env: Record<string, string>): Promise<string> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', String(window)], { env: { ...process.env, ...env } });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', resolve));
  const session = await openSession(port, readFileSync(certFile));
  try {
    const payloads = distinctPayloads(IN_FLIGHT + 1, 32, true, 32);
    const ring = new FrameRing(payloads.map((payload) => maskedFrame(Opcode.Text, payload)));
    let messages = 0;
    let events = 0;
    let error: string | null = null;
    for (let i = 0; i < STREAMS; i++) {
      const { socket } = await openStream(session, extendedConnect(port, '/'));
      const scanner = new FrameScanner({ opcode: Opcode.Text, masked: false, payloads });
      let sent = IN_FLIGHT;
      socket.on('data', (chunk: Buffer) => {
        events++;
        const done = scanner.push(chunk);
        error ??= scanner.error;
        messages += done;
        if (done > 0) socket.write(ring.slice(sent, done));
        sent += done;
      });
      socket.write(ring.slice(0, IN_FLIGHT));
    }
    let samples = 0;
    let exhausted = 0;
    const sampler = setInterval(() => {
      samples++;
      if ((session.state.remoteWindowSize ?? 0) < 1024) exhausted++;
    }, 10);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [m0, e0, s0, c0, b0, t0] = [messages, events, processCpu(child.pid as number), process.cpuUsage(), machineBusy(), process.hrtime.bigint()];
    samples = exhausted = 0;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const s1 = processCpu(child.pid as number);
    const client = process.cpuUsage(c0);
    const busy = machineBusy() - b0;
    clearInterval(sampler);
    if (error !== null) return `FAILED: ${error}`;
    const n = messages - m0;
    const cpu = s1.user - s0.user + s1.system - s0.system;
    const other = Math.max(0, busy - cpu - (client.user + client.system) / 1e6) / seconds;
    return (
      `${(n / seconds / 1000).toFixed(0)}k msg/s, server ${((cpu / n) * 1e6).toFixed(2)} µs/msg (${((cpu / seconds) * 100).toFixed(0)}%), ` +
      `${(n / (events - e0)).toFixed(1)} msg per DATA frame received, send window exhausted in ${Math.round((exhausted / samples) * 100)}% of samples, ` +
      `other processes ${(other * 100).toFixed(0)}%`
    );
  } finally {
    session.destroy();
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
      for (const window of [0, LARGE_WINDOW]) {
        const label = window === 0 ? 'connection window 64 KiB' : 'connection window 15 MiB';
        console.log(`round ${round} ${label}: ${await measure(window, certificate.certFile, env)}`);
      }
    }
  } finally {
    certificate.remove();
  }
}

const serving = process.argv.indexOf('--serve');
if (serving > 0) void serve(Number(process.argv[serving + 1]));
else main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
