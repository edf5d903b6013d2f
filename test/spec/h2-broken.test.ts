// Server mode over HTTP/2 against servers written to break one rule each: the suite must judge
// each fault as Autobahn would, with RFC 8441's mapping of TCP's end to the stream's.
import { describe, expect, it } from 'vitest';
import { runServerSuite } from '../../spec/server-mode.js';
import type { Report } from '../../spec/report.js';
import { startBrokenH2Server, type BrokenH2Options } from './broken-h2-server.js';
import { TEST_TIMING } from './helpers.js';

const QUICK_TIMING = { ...TEST_TIMING, replyTimeoutMs: 400, closeTimeoutMs: 400 };

async function run(opts: BrokenH2Options, cases: string[]): Promise<Report> {
  const server = await startBrokenH2Server(opts);
  try {
    return await runServerSuite({ url: server.url, h2: true, cases, timing: QUICK_TIMING });
  } finally {
    await server.close();
  }
}

const byId = (report: Report): Record<string, string> =>
  Object.fromEntries(report.results.map((r) => [r.id, `${r.verdict}: ${r.reason}`]));

describe('server mode over HTTP/2 against broken servers', () => {
  it('a server that behaves passes the handshake section, its refusals complete (END_STREAM)', async () => {
    const v = byId(await run({}, ['h2.*', '1.1.1', '3.1']));
    for (const id of Object.keys(v)) expect(v[id], id).toMatch(/^OK/);
    expect(v['h2.13']).toBe('OK: refused with status 400');
    expect(v['h2.9']).toMatch(/PROTOCOL_ERROR/); // node:http2 resets the malformed CONNECT itself
    expect(v['1.1.1']).toMatch(/clean close, then ended the stream \(END_STREAM\)/);
  });

  it('FAILED: 200 to a CONNECT without :protocol, with another :protocol, or without version 13', async () => {
    const v = byId(await run({ acceptAnything: true }, ['h2.*']));
    for (const id of ['h2.6', 'h2.7', 'h2.13', 'h2.14']) expect(v[id], id).toBe('FAILED: the server accepted it with status 200');
    expect(v['h2.2']).toMatch(/^OK/);
  });

  it('NON-STRICT: a stream left open after the closing handshake, or after failing', async () => {
    const v = byId(await run({ afterClose: 'never' }, ['1.1.1', '7.1.1', '7.3.3', '3.1', '7.9.1']));
    for (const id of ['1.1.1', '7.1.1', '7.3.3']) expect(v[id], id).toMatch(/^NON-STRICT: server did not end its stream \(END_STREAM\) after the closing handshake/);
    expect(v['3.1']).toMatch(/^NON-STRICT: closed with 1002 but did not end or reset its stream/);
    expect(v['7.9.1']).toMatch(/^NON-STRICT: closed with 1002 but did not end or reset its stream/);
  });

  it('a reset is the end of a failed connection, but not of a clean close', async () => {
    const report = await run({ afterClose: 'reset' }, ['1.1.1', '7.3.3', '3.1', '7.9.1']);
    // After a reset stream the next case gets a new HTTP/2 connection (flow control may be spent).
    expect(report.results.map((r) => /on connection (\d+) /.exec(r.wire[0].text)?.[1])).toEqual(['1', '2', '3', '4']);
    const v = byId(report);
    expect(v['1.1.1']).toMatch(/^NON-STRICT: server reset the stream \(RST_STREAM INTERNAL_ERROR\) after the closing handshake, where the orderly close is END_STREAM/);
    expect(v['7.3.3']).toMatch(/^NON-STRICT: server reset the stream/);
    expect(v['3.1']).toBe('OK: peer failed the connection with close code 1002, then reset the stream (RST_STREAM INTERNAL_ERROR)');
    expect(v['7.9.1']).toMatch(/^OK: peer answered with close code 1002, then reset the stream/);
  });

  it('FAILED: a bad frame echoed; NON-STRICT: the whole connection dropped, and the next case gets a new one', async () => {
    const echoed = byId(await run({ onBadFrame: 'echo' }, ['3.1', '4.1.1']));
    expect(echoed['3.1']).toMatch(/^FAILED: peer violated the protocol: peer set RSV bits 1/);
    expect(echoed['4.1.1']).toMatch(/^FAILED: peer violated the protocol: peer sent reserved opcode 3/);
    // In case order: 3.1 drops connection 1, 4.1.1 drops connection 2, 6.1.1 runs on connection 3.
    const dropped = await run({ onBadFrame: 'drop-connection' }, ['3.1', '4.1.1', '6.1.1']);
    const v = byId(dropped);
    expect(v['3.1']).toMatch(/^NON-STRICT: peer closed the whole HTTP\/2 connection without a close frame/);
    expect(v['4.1.1']).toMatch(/^NON-STRICT: peer closed the whole HTTP\/2 connection without a close frame/);
    expect(v['6.1.1']).toMatch(/^OK/);
    expect(dropped.results.find((r) => r.id === '6.1.1')!.wire[0].text).toMatch(/on connection 3 /);
  });

  it('FAILED everywhere when the server does not take the extended CONNECT (no SETTINGS_ENABLE_CONNECT_PROTOCOL)', async () => {
    const v = byId(await run({ advertise: false }, ['h2.1', 'h2.2', 'h2.9', '1.1.1']));
    for (const id of Object.keys(v)) expect(v[id], id).toMatch(/^FAILED: .*SETTINGS_ENABLE_CONNECT_PROTOCOL = 1/);
  });
});
