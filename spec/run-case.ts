// Running one case over one connection with a hard time bound, whatever the peer does.
import type { Socket } from 'node:net';
import { type CaseContext, type CaseDef, type Outcome, type Timing } from './case.js';
import { Opcode, type FrameSpec } from './frame.js';
import type { CaseResult } from './report.js';
import { Wire } from './wire.js';

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => (ms <= 0 ? setImmediate(resolve) : setTimeout(resolve, ms)));

export function makeContext(wire: Wire, timing: Timing): CaseContext {
  const t: CaseContext = {
    wire,
    timing,
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
    sendMessage(opcode: number, payload: Buffer | string, fragmentSize?: number) {
      const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
      const size = fragmentSize ?? Math.max(1, p.length);
      if (p.length === 0) {
        wire.send({ opcode });
        return;
      }
      const count = Math.ceil(p.length / size);
      if (count > 64) {
        // Thousands of frames: write them in one go and log a summary instead of each one.
        const frames: Buffer[] = [];
        for (let i = 0; i < count; i++) {
          frames.push(wire.encode({ opcode: i === 0 ? opcode : Opcode.Continuation, payload: p.subarray(i * size, (i + 1) * size), fin: i === count - 1 }));
        }
        wire.logTx({ opcode, payload: p }, 0, `as ${count} fragments of ${size} bytes`);
        wire.write(Buffer.concat(frames));
        return;
      }
      for (let i = 0; i < count; i++) {
        wire.send({ opcode: i === 0 ? opcode : Opcode.Continuation, payload: p.subarray(i * size, (i + 1) * size), fin: i === count - 1 });
      }
    },
  };
  return t;
}

/** The hard bound of a case: generous next to its own waits, so only a hung peer reaches it. */
export function caseBudgetMs(def: CaseDef, timing: Timing): number {
  return timing.waitMs * 3 + timing.replyTimeoutMs * 3 + timing.closeTimeoutMs * 2 + (def.extraMs ?? 0) + 1000;
}

export function unimplementedResult(def: CaseDef): CaseResult {
  return {
    id: def.id,
    description: def.description,
    expectation: def.expectation,
    verdict: 'UNIMPLEMENTED',
    reason: def.unimplemented ?? 'not implemented',
    durationMs: 0,
    closeCode: null,
    wire: [],
    wireDropped: 0,
  };
}

/** Run a case over an open connection; always resolves, and always destroys the socket. */
export async function runCaseOnSocket(def: CaseDef, socket: Socket, role: Wire['role'], initial: Buffer, timing: Timing): Promise<CaseResult> {
  const started = performance.now();
  const wire = new Wire(socket, role, initial);
  let outcome: Outcome;
  let timer: NodeJS.Timeout | undefined;
  const budget = caseBudgetMs(def, timing);
  try {
    if (!def.run) throw new Error('case has no WebSocket runner');
    outcome = await Promise.race([
      def.run(makeContext(wire, timing)),
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
