// Every case is bounded in time: a silent, mute or crashing peer gives FAILED (or NON-STRICT for
// a bare TCP close where a failure was due), never a hung run.
import { afterEach, describe, expect, it } from 'vitest';
import { runServerSuite } from '../../spec/server-mode.js';
import { startBrokenEchoServer, type Misbehaviour } from './broken-echo-server.js';

const FAST = { waitMs: 50, replyTimeoutMs: 200, closeTimeoutMs: 200, chopDelayMs: 0 };
const CASES = ['1.1.1', '2.1', '3.1', '5.1', '6.3.1', '6.4.1', '7.3.3', '7.9.1'];

describe('misbehaving peers', () => {
  let server: Awaited<ReturnType<typeof startBrokenEchoServer>> | undefined;
  afterEach(() => server?.close());

  const run = async (how: Misbehaviour) => {
    server = await startBrokenEchoServer(how);
    const report = await runServerSuite({ url: server.url, cases: CASES, timing: FAST });
    return Object.fromEntries(report.results.map((r) => [r.id, r]));
  };

  it('a silent peer fails every case, each within its bound', async () => {
    const r = await run('silent');
    expect(Object.values(r).map((c) => c.verdict)).toEqual(CASES.map(() => 'FAILED'));
    expect(r['1.1.1'].reason).toMatch(/timed out/);
    expect(r['3.1'].reason).toMatch(/neither failed the connection nor answered/);
    expect(r['7.3.3'].reason).toMatch(/did not answer the close/);
  });

  it('a peer that never answers the handshake fails every case', async () => {
    const r = await run('mute');
    expect(Object.values(r).map((c) => c.verdict)).toEqual(CASES.map(() => 'FAILED'));
    expect(r['1.1.1'].reason).toMatch(/no handshake response/);
  });

  it('a peer that drops TCP: FAILED where an echo was due, NON-STRICT where a close frame was', async () => {
    const r = await run('drop');
    expect(r['1.1.1'].verdict).toBe('FAILED');
    expect(r['2.1'].verdict).toBe('FAILED');
    for (const id of ['3.1', '5.1', '6.3.1', '7.9.1']) expect([id, r[id].verdict]).toEqual([id, 'NON-STRICT']);
    // Dropping on the valid first part of 6.4.1 is a failure, not fail-fast.
    expect(r['6.4.1'].verdict).toBe('FAILED');
  });
});
