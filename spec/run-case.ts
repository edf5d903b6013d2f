// Running one case over one connection with a hard time bound, whatever the peer does.
import type { Duplex } from 'node:stream';
import type { CarrierKind } from './carrier.js';
import { type CaseContext, type CaseDef, type Outcome, type RunOptions, type Timing } from './case.js';
import { RSV1 } from './deflate.js';
import { formatOffer, judgeResponse, negotiated, type DeflateParams, type Negotiated } from './extensions.js';
import { Opcode, type FrameSpec } from './frame.js';
import type { CaseResult } from './report.js';
import { Wire } from './wire.js';

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => (ms <= 0 ? setImmediate(resolve) : setTimeout(resolve, ms)));

/** The permessage-deflate outcome of an opening handshake, as a case receives it. */
export interface Extension {
  negotiated: Negotiated | null;
  /** What was offered and answered, in words. */
  note: string;
}

export const NO_EXTENSION: Extension = { negotiated: null, note: 'no extension offered' };

/** The Sec-WebSocket-Extensions response judged against the offers (RFC 7692 §7.1); throws when the client must fail. */
export function extensionOf(offers: DeflateParams[], header: string | undefined): Extension {
  const judged = judgeResponse(offers, header);
  if ('error' in judged) throw new Error(`handshake failed: ${judged.error}`);
  const offered = offers.length > 0 ? `offered "${offers.map(formatOffer).join(', ')}"` : 'no extension offered';
  if (!judged.params) return { negotiated: null, note: `${offered}; the server declined` };
  const params = negotiated('client', judged.params, judged.offer);
  return { negotiated: params, note: `${offered}; the server answered "${header}"` };
}

export function makeContext(wire: Wire, timing: Timing, options: RunOptions = {}, negotiation = NO_EXTENSION.note): CaseContext {
  const t: CaseContext = {
    wire,
    timing,
    options,
    negotiation,
    send: (spec) => wire.send(spec),
    sleep,
    async sendChopped(specs: FrameSpec[], chopSize: number, delayMs = timing.chopDelayMs) {
      const bytes = Buffer.concat(specs.map((s) => wire.encode(s)));
      for (const s of specs) wire.logTx(s, 0, `sent in chops of ${chopSize}`);
      for (let i = 0; i < bytes.length && wire.open; i += chopSize) {
        wire.write(bytes.subarray(i, i + chopSize));
        if (delayMs > 0) await sleep(delayMs);
        else if ((i / chopSize) % 256 === 255) await sleep(0);
      }
    },
    async sendEach(specs: FrameSpec[], delayMs = timing.chopDelayMs) {
      for (const s of specs) {
        if (!wire.open) return;
        wire.send(s);
        await sleep(delayMs);
      }
    },
    sendMessage(opcode: number, payload: Buffer | string, fragmentSize?: number, compress = false) {
      const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
      if (compress && !wire.deflate) throw new Error('permessage-deflate was not negotiated');
      const data = compress ? wire.deflate!.compress(p) : p;
      // RFC 7692 §6: RSV1 on the first frame of a compressed message only.
      const rsv = compress ? RSV1 : 0;
      const size = fragmentSize ?? Math.max(1, data.length);
      const count = Math.max(1, Math.ceil(data.length / size));
      const frame = (i: number): FrameSpec => ({
        opcode: i === 0 ? opcode : Opcode.Continuation,
        payload: data.subarray(i * size, (i + 1) * size),
        fin: i === count - 1,
        rsv: i === 0 ? rsv : 0,
      });
      if (count > 64 || compress) {
        // Many frames, or a compressed message: one write, and one log line with the plain payload.
        const frames: Buffer[] = [];
        for (let i = 0; i < count; i++) frames.push(wire.encode(frame(i)));
        const how = compress ? `compressed to ${data.length} bytes, ` : '';
        wire.logTx({ opcode, payload: p, rsv }, 0, `${how}as ${count} frame${count > 1 ? 's' : ''} of up to ${size} bytes`);
        wire.write(Buffer.concat(frames));
        return;
      }
      for (let i = 0; i < count; i++) wire.send(frame(i));
    },
  };
  return t;
}

/** The hard bound of a case: generous next to its own waits, so only a hung peer reaches it. */
export function caseBudgetMs(def: CaseDef, timing: Timing): number {
  return timing.waitMs * 3 + timing.replyTimeoutMs * 3 + timing.closeTimeoutMs * 2 + (def.extraMs ?? 0) + 1000;
}

/** A result for a case that never got a connection to run on. */
export function resultWithoutRun(def: CaseDef, verdict: CaseResult['verdict'], reason: string, durationMs = 0): CaseResult {
  return {
    id: def.id,
    description: def.description,
    expectation: def.expectation,
    verdict,
    reason,
    durationMs,
    closeCode: null,
    wire: [],
    wireDropped: 0,
  };
}

/** Run a case over an open connection (a socket, or an HTTP/2 stream); always resolves, and always closes it. */
export async function runCaseOnSocket(
  def: CaseDef, socket: Duplex, role: Wire['role'], initial: Buffer, timing: Timing,
  options: RunOptions = {}, extension: Extension = NO_EXTENSION, carrier: CarrierKind = 'tcp',
): Promise<CaseResult> {
  const started = performance.now();
  const wire = new Wire(socket, role, initial, extension.negotiated, carrier);
  if (def.deflate) wire.note(extension.note);
  let outcome: Outcome;
  let timer: NodeJS.Timeout | undefined;
  const budget = caseBudgetMs(def, timing);
  try {
    if (!def.run) throw new Error('case has no WebSocket runner');
    outcome = await Promise.race([
      def.run(makeContext(wire, timing, options, extension.note)),
      new Promise<Outcome>((resolve) => {
        timer = setTimeout(() => resolve({ verdict: 'FAILED', reason: `case did not finish within ${budget} ms (peer hung)` }), budget);
      }),
    ]);
  } catch (err) {
    outcome = { verdict: 'FAILED', reason: `case crashed: ${(err as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
  const durationMs = Math.round((performance.now() - started) * 10) / 10;
  wire.destroy();
  return {
    id: def.id,
    description: def.description,
    expectation: def.expectation,
    verdict: outcome.verdict,
    reason: outcome.reason,
    durationMs,
    closeCode: wire.closeReceived?.code ?? null,
    wire: wire.log,
    wireDropped: wire.logDropped,
  };
}
