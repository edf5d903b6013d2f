#!/usr/bin/env node
// The numbers for the README: run the suite against ws and wsmith (servers and clients, in this
// process, on loopback) and print a Markdown table of counts per section and verdict, then the
// time of each section 9 group and of sections 12 and 13 (one run on one machine: a rough guide,
// bench/ measures properly).
// ws runs with permessage-deflate on (its client's default; `perMessageDeflate: true` on its
// server), so sections 12 and 13 show what it does; wsmith runs with its defaults.
//   node build/spec/compare.js [--quick] [--deflate-messages N] [--json-dir DIR]
// A development tool: it needs the dev dependency `ws` and a built wsmith (npm run build).
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runClientSuite, type OpenClient } from './client-mode.js';
import { formatMarkdownComparison, formatTimingComparison, type Report } from './report.js';
import { runServerSuite, type SuiteOptions } from './server-mode.js';

/** The slice of the `ws` API both libraries share and the comparison needs. */
interface EchoPeer {
  on(event: 'message', cb: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'close' | 'error', cb: () => void): unknown;
  send(data: Buffer, opts: { binary: boolean }): void;
}
interface ServerLike {
  on(event: 'connection', cb: (ws: EchoPeer) => void): unknown;
  on(event: 'listening', cb: () => void): unknown;
  address(): AddressInfo | string | null;
  close(cb?: () => void): void;
}
interface Library {
  name: string;
  Server: new (opts: { port: number; host: string }) => ServerLike;
  /** Server options beyond port and host. */
  serverOptions?: Record<string, unknown>;
  Client?: new (url: string) => EchoPeer;
}

async function serverReport(lib: Library, opts: SuiteOptions): Promise<Report> {
  const wss = new lib.Server({ port: 0, host: '127.0.0.1', ...lib.serverOptions });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => wss.on('listening', () => resolve()));
  const { port } = wss.address() as AddressInfo;
  try {
    return await runServerSuite({ ...opts, url: `ws://127.0.0.1:${port}`, agent: lib.name });
  } finally {
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
}

function openWith(Client: NonNullable<Library['Client']>): OpenClient {
  return (url, onMessage) =>
    new Promise<void>((resolve) => {
      const ws = new Client(url);
      const socket = { send: (d: Buffer, b: boolean) => ws.send(d, { binary: b }) };
      ws.on('message', (data, isBinary) => onMessage(data, isBinary, socket));
      ws.on('close', () => resolve());
      ws.on('error', () => undefined);
    });
}

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, 'deflate-messages': { type: 'string' }, 'json-dir': { type: 'string' } } });
const opts: SuiteOptions = {
  maxMessageSize: values.quick ? 1024 * 1024 : undefined,
  deflateMessages: values['deflate-messages'] ? Number(values['deflate-messages']) : undefined,
  onProgress: (done, total) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${done}/${total}`);
  },
};

const ws = await import('ws');
const wsmith = await import('wsmith');
const libraries: Library[] = [
  {
    name: 'ws',
    Server: ws.WebSocketServer as unknown as Library['Server'],
    serverOptions: { perMessageDeflate: true },
    Client: ws.WebSocket as unknown as Library['Client'],
  },
  { name: 'wsmith', Server: wsmith.WebSocketServer as unknown as Library['Server'], Client: (wsmith as { WebSocket?: unknown }).WebSocket as Library['Client'] },
];

const reports: Report[] = [];
for (const lib of libraries) {
  reports.push(await serverReport(lib, opts));
  if (lib.Client) reports.push(await runClientSuite({ ...opts, open: openWith(lib.Client), agent: lib.name }));
}
if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
if (values['json-dir']) {
  for (const r of reports) writeFileSync(join(values['json-dir'], `${r.agent}-${r.mode}.json`), JSON.stringify(r, null, 2));
}
process.stdout.write(formatMarkdownComparison(reports) + '\n\n' + formatTimingComparison(reports) + '\n');
