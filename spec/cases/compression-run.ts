// What every case of sections 12 and 13 does (RFC 7692): negotiate permessage-deflate, then send
// compressed messages one at a time, each the next slice of a data set, and check each echo
// before sending the next. Autobahn's sizes, counts, auto-fragment sizes and time limits.
import { createHash } from 'node:crypto';
import { Opcode, finishClean, type CaseContext, type CaseDef, type DeflateNegotiation, type Outcome } from '../case.js';
import type { DeflateParams } from '../extensions.js';
import type { WireEvent } from '../wire.js';
import type { DataSet } from './compression-data.js';

/** Autobahn's table: payload size, message count, case time limit (s), auto-fragment size (0: none). */
const MESSAGE_SIZES: readonly (readonly [number, number, number, number])[] = [
  [16, 1000, 60, 0], [64, 1000, 60, 0], [256, 1000, 120, 0], [1024, 1000, 240, 0], [4096, 1000, 480, 0],
  [8192, 1000, 480, 0], [16384, 1000, 480, 0], [32768, 1000, 480, 0], [65536, 1000, 480, 0], [131072, 1000, 480, 0],
  [8192, 1000, 480, 256], [16384, 1000, 480, 256], [32768, 1000, 480, 256], [65536, 1000, 480, 256],
  [131072, 1000, 480, 256], [131072, 1000, 480, 1024], [131072, 1000, 480, 4096], [131072, 1000, 480, 32768],
];

/** Wire log entries kept while a case runs (the last message or so), so a failure shows its frames. */
const LOG_KEEP = 120;

export interface CompressionGroup {
  /** "12.3", "13.5". */
  prefix: string;
  data: DataSet;
  negotiation: DeflateNegotiation;
  /** The negotiation in words, for the description. */
  describe: string;
}

/** The 18 cases of one group, 12.x.1 to 12.x.18 (or 13.x.*). */
export function compressionGroup(g: CompressionGroup): CaseDef[] {
  return MESSAGE_SIZES.map(([size, count, waitSecs, fragment], i) => ({
    id: `${g.prefix}.${i + 1}`,
    description: `Send ${count} compressed messages each of payload size ${size}, auto-fragment to ${fragment} octets. ${g.describe} Data: ${g.data.title} (${g.data.binary ? 'binary' : 'utf8'}).`,
    expectation: `Receive echo'ed messages (with payload as sent). Timeout case after ${waitSecs} secs.`,
    messageSize: size,
    extraMs: waitSecs * 1000,
    deflate: g.negotiation,
    run: (t) => runCompression(t, g.data, { size, count, waitSecs, fragment }),
  }));
}

/** Autobahn's client offer: PerMessageDeflateOffer(requestNoContextTakeover, requestMaxWindowBits). */
export function offer(serverNoContextTakeover = false, serverMaxWindowBits?: number): DeflateParams {
  // Autobahn always offers client_no_context_takeover and a value-less client_max_window_bits.
  return { clientNoContextTakeover: true, clientMaxWindowBits: true, serverNoContextTakeover, serverMaxWindowBits };
}

/**
 * Autobahn's server accept: the first offer that allows what is asked, answered with its server
 * parameters and the asked client ones. RFC 7692 §7.1.1.2 lets a server always ask for
 * client_no_context_takeover; §7.1.2.2 allows client_max_window_bits only if the offer has it.
 */
export function acceptFirst(client: { noContextTakeover?: boolean; maxWindowBits?: number } = {}): DeflateNegotiation['accept'] {
  return (offers) => {
    const chosen = offers.find((o) => client.maxWindowBits === undefined || o.clientMaxWindowBits !== undefined);
    if (!chosen) return null;
    const response: DeflateParams = {
      serverNoContextTakeover: chosen.serverNoContextTakeover,
      serverMaxWindowBits: chosen.serverMaxWindowBits,
      clientNoContextTakeover: client.noContextTakeover ?? false,
      clientMaxWindowBits: client.maxWindowBits,
    };
    return { response, offer: chosen };
  };
}

interface Plan {
  size: number;
  count: number;
  waitSecs: number;
  fragment: number;
}

async function runCompression(t: CaseContext, set: DataSet, plan: Plan): Promise<Outcome> {
  const w = t.wire;
  if (!w.deflate) return declined(t);
  const data = set.get();
  const total = t.options.deflateMessages ?? plan.count;
  const deadline = performance.now() + plan.waitSecs * 1000;
  let from = 0;
  for (let n = 1; n <= total; n++) {
    const sent = data.slice(from, plan.size);
    from = (from + plan.size) % data.length;
    t.sendMessage(set.binary ? Opcode.Binary : Opcode.Text, sent, plan.fragment > 0 ? plan.fragment : undefined, true);
    const echo = await nextMessage(t, deadline, plan.waitSecs);
    if (typeof echo === 'string') return { verdict: 'FAILED', reason: `message ${n} of ${total}: ${echo}` };
    const bad = compareEcho(echo, sent, set.binary);
    if (bad) {
      w.sendClose(1000);
      return { verdict: 'FAILED', reason: `message ${n} of ${total}: ${bad}` };
    }
    if (w.log.length > LOG_KEEP * 2) w.forgetLog(LOG_KEEP);
  }
  const outcome = await finishClean(t, []);
  if (outcome.verdict !== 'OK') return outcome;
  return { verdict: 'OK', reason: `all ${total} messages echoed, clean close; ${w.deflate.describeRatios()}; ${t.negotiation}` };
}

/** Autobahn: no permessage-deflate on the connection means UNIMPLEMENTED, and a normal close. */
async function declined(t: CaseContext): Promise<Outcome> {
  const w = t.wire;
  w.sendClose(1000);
  await w.waitFor(() => w.closeReceived !== null || w.transportClosed, t.timing.replyTimeoutMs);
  return { verdict: 'UNIMPLEMENTED', reason: `permessage-deflate was not negotiated: ${t.negotiation}` };
}

type MessageEvent = Extract<WireEvent, { type: 'message' }>;

/** The next message from the peer (pings and pongs skipped), or why none came. */
async function nextMessage(t: CaseContext, deadline: number, waitSecs: number): Promise<MessageEvent | string> {
  const w = t.wire;
  const message = (): MessageEvent | undefined => {
    while (w.events.length > 0 && w.events[0].type !== 'message') w.events.shift();
    return w.events[0] as MessageEvent | undefined;
  };
  const wait = Math.max(0, Math.min(t.timing.replyTimeoutMs, deadline - performance.now()));
  await w.waitFor(() => message() !== undefined || w.closeReceived !== null || w.transportClosed || w.violations.length > 0, wait);
  if (w.violations.length > 0) return `peer violated the protocol: ${w.violations.join('; ')}`;
  const m = message();
  if (m) {
    w.events.shift();
    return m;
  }
  if (w.closeReceived) return `peer closed the connection (code ${w.closeReceived.code}) instead of echoing`;
  if (w.transportClosed) return 'peer dropped the connection instead of echoing';
  if (performance.now() >= deadline) return `case did not finish within ${waitSecs} s`;
  return `no echo within ${Math.round(wait)} ms`;
}

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

/** Autobahn's checks, in its order: message type, length, contents. */
function compareEcho(got: MessageEvent, sent: Buffer, binary: boolean): string | null {
  const kind = (b: boolean): string => (b ? 'binary' : 'text');
  if (got.binary !== binary) return `echo'ed message type differs from what was sent (got ${kind(got.binary)}, sent ${kind(binary)})`;
  if (got.payload.length !== sent.length) return `echo'ed message length differs from what was sent (got ${got.payload.length} bytes, sent ${sent.length})`;
  if (got.payload.equals(sent)) return null;
  let at = 0;
  while (got.payload[at] === sent[at]) at++;
  return `echo'ed message contents differ from what was sent from byte ${at} (got SHA-1 ${sha1(got.payload)}, expected ${sha1(sent)})`;
}
