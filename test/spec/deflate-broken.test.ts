// Sections 12 and 13 against compressing echo servers that each get one thing wrong: the suite must
// fail exactly the cases that can see the mistake, and pass the others, so its verdicts are
// neither blanket nor blind.
import { afterEach, describe, expect, it } from 'vitest';
import { runServerSuite } from '../../spec/server-mode.js';
import type { Report } from '../../spec/report.js';
import { startBrokenDeflateServer, type DeflateMisbehaviour } from './broken-deflate-server.js';
import { TEST_TIMING } from './helpers.js';

const CASES = ['12.1.*', '13.*'];
const group = (id: string): string => id.split('.').slice(0, 2).join('.');

/** Group prefix ("12.1", "13.5") → the verdicts its cases got, deduplicated. */
function verdictsByGroup(report: Report): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of report.results) {
    const list = (out[group(r.id)] ??= []);
    if (!list.includes(r.verdict)) list.push(r.verdict);
  }
  return out;
}

const ALL_GROUPS = ['12.1', '13.1', '13.2', '13.3', '13.4', '13.5', '13.6', '13.7'];
const expectGroups = (report: Report, failed: string[]): void => {
  const want = Object.fromEntries(ALL_GROUPS.map((g) => [g, failed.includes(g) ? ['FAILED'] : ['OK']]));
  expect(verdictsByGroup(report)).toEqual(want);
};

describe('sections 12 and 13 against broken compressing servers', () => {
  let server: Awaited<ReturnType<typeof startBrokenDeflateServer>> | undefined;
  afterEach(() => server?.close());

  const run = async (how: DeflateMisbehaviour): Promise<Report> => {
    server = await startBrokenDeflateServer(how);
    return runServerSuite({ url: server.url, cases: CASES, deflateMessages: 5, timing: { ...TEST_TIMING, replyTimeoutMs: 1000, closeTimeoutMs: 500 } });
  };
  const reasonOf = (report: Report, id: string): string => report.results.find((r) => r.id === id)?.reason ?? '';

  it('RSV1 on a continuation frame fails every case (RFC 7692 §6)', async () => {
    const report = await run('rsv1-continuation');
    expectGroups(report, ALL_GROUPS);
    expect(reasonOf(report, '12.1.1')).toMatch(/RSV1 on a continuation frame/);
  }, 60_000);

  it('corrupted compressed data fails every case', async () => {
    const report = await run('corrupt');
    expectGroups(report, ALL_GROUPS);
    expect(reasonOf(report, '13.4.10')).toMatch(/message 1 of 5: .*(does not inflate|length differs|contents differ)/);
  }, 60_000);

  it('answering server_max_window_bits=12 to an offer of 9 fails 13.3 and 13.5 only (RFC 7692 §7.1.2.1)', async () => {
    // Adding the parameter unasked is allowed (12.1, 13.1, 13.2, 13.6), so is 12 below an offered 15 (13.4),
    // and 13.7's second offer accepts it.
    const report = await run('larger-window');
    expectGroups(report, ['13.3', '13.5']);
    expect(reasonOf(report, '13.3.1')).toMatch(/handshake failed: .*server_max_window_bits=12 is larger than the 9 offered/);
  }, 60_000);

  it('context takeover after answering server_no_context_takeover fails 13.2, 13.5, 13.6 and 13.7 (RFC 7692 §7.1.1.1)', async () => {
    const report = await run('keeps-context');
    expectGroups(report, ['13.2', '13.5', '13.6', '13.7']);
    expect(reasonOf(report, '13.2.5')).toMatch(/message [2-5] of 5: .*invalid distance too far back/);
  }, 60_000);

  it('a 15-bit window after answering server_max_window_bits=9 fails the 13.3, 13.5 and 13.7 cases that can show it (RFC 7692 §7.1.2.1)', async () => {
    const report = await run('wide-window');
    const verdict = (id: string): string | undefined => report.results.find((r) => r.id === id)?.verdict;
    const failed = report.results.filter((r) => r.verdict === 'FAILED').map((r) => group(r.id));
    expect([...new Set(failed)].sort()).toEqual(['13.3', '13.5', '13.7']);
    expect(report.results.filter((r) => r.verdict !== 'OK' && r.verdict !== 'FAILED')).toEqual([]);
    for (const g of ['13.3', '13.5', '13.7']) {
      // From 1 KiB on, a message reaches back further than 512 bytes.
      for (let i = 4; i <= 18; i++) expect([`${g}.${i}`, verdict(`${g}.${i}`)]).toEqual([`${g}.${i}`, 'FAILED']);
      // Five messages of 16 or 64 bytes, or one of 256 without context, cannot: the peer's mistake is invisible.
      expect([verdict(`${g}.1`), verdict(`${g}.2`)]).toEqual(['OK', 'OK']);
    }
    expect([verdict('13.5.3'), verdict('13.7.3')]).toEqual(['OK', 'OK']);
    expect(reasonOf(report, '13.5.10')).toMatch(/invalid distance too far back/);
  }, 60_000);
});
