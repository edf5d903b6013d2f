// Micro-benchmarks of the protocol cores, one process per target:
// `node build/bench/micro.js <wsmith|ws|ws-native> <budgetMs>`. Parser cases feed masked client
// frames in socket-sized chunks (frames straddle chunk boundaries); encoder cases build one
// unmasked server frame per call. The first pass of every case checks each message's bytes;
// timed passes check the count. Answers over IPC: { type: 'result', cases } or { type: 'failed' }.
import type { ProtocolAdapter } from './micro/adapter.js';
import { wsAdapter } from './micro/ws-protocol.js';
import { wsmithAdapter } from './micro/wsmith-protocol.js';
import { distinctPayloads, maskedFrame, Opcode } from './load/frames.js';

export interface MicroCase {
  name: string;
  /** Messages handled in the timed passes. */
  messages: number;
  /** Payload bytes handled in the timed passes. */
  bytes: number;
  seconds: number;
}

interface Workload {
  name: string;
  run(adapter: ProtocolAdapter): () => number; // returns a pass function; pass returns messages done
  messagesPerPass: number;
  bytesPerPass: number;
}

function parserWorkload(name: string, count: number, size: number, text: boolean, chunkSize: number): Workload {
  const payloads = distinctPayloads(count, size, text, size);
  const pristine = Buffer.concat(payloads.map((p) => maskedFrame(text ? Opcode.Text : Opcode.Binary, p)));
  return {
    name,
    messagesPerPass: count,
    bytesPerPass: count * size,
    run(adapter) {
      // Parsers unmask in place, so every pass starts from a fresh copy, as fresh socket reads would.
      const work = Buffer.allocUnsafe(pristine.length);
      let seen = 0;
      let checking = true;
      let failure: Error | null = null;
      const parser = adapter.createParser(
        (data, isBinary) => {
          if (checking && (isBinary === text || !data.equals(payloads[seen % count]))) {
            failure ??= new Error(`${name}: message ${seen} differs from what was sent`);
          }
          seen++;
        },
        (error) => {
          failure ??= error;
        },
      );
      return () => {
        pristine.copy(work);
        const before = seen;
        for (let offset = 0; offset < work.length; offset += chunkSize) {
          parser.push(work.subarray(offset, Math.min(offset + chunkSize, work.length)));
        }
        checking = false;
        if (failure) throw failure;
        const done = seen - before;
        if (done !== count) throw new Error(`${name}: ${done} of ${count} messages came out of a pass`);
        return done;
      };
    },
  };
}

function encoderWorkload(name: string, size: number, binary: boolean): Workload {
  const batch = 256;
  const payloads = distinctPayloads(batch, size, !binary, size);
  return {
    name,
    messagesPerPass: batch,
    bytesPerPass: batch * size,
    run(adapter) {
      const encode = adapter.createEncoder();
      let first = true;
      return () => {
        let bytes = 0;
        for (let i = 0; i < batch; i++) {
          const out = encode(payloads[i], binary);
          bytes += Array.isArray(out) ? out.reduce((sum, b) => sum + b.length, 0) : out.length;
        }
        // Header is 2 bytes below 126, 4 bytes up to 64 KiB (RFC 6455 §5.2).
        const expected = batch * (size + (size < 126 ? 2 : size <= 0xffff ? 4 : 10));
        if (first && bytes !== expected) throw new Error(`${name}: encoded ${bytes} bytes, expected ${expected}`);
        first = false;
        return batch;
      };
    },
  };
}

export const MICRO_WORKLOADS: Workload[] = [
  parserWorkload('micro-parse-small', 1024, 32, true, 16 * 1024),
  parserWorkload('micro-parse-64k', 32, 64 * 1024, false, 64 * 1024),
  encoderWorkload('micro-encode-small', 32, false),
  encoderWorkload('micro-encode-64k', 64 * 1024, true),
];

function measure(workload: Workload, adapter: ProtocolAdapter, budgetMs: number): MicroCase {
  const pass = workload.run(adapter);
  pass(); // the checking pass
  const warmUntil = process.hrtime.bigint() + BigInt(Math.round(budgetMs * 0.25 * 1e6));
  while (process.hrtime.bigint() < warmUntil) pass();
  const start = process.hrtime.bigint();
  const stop = start + BigInt(Math.round(budgetMs * 1e6));
  let messages = 0;
  let passes = 0;
  let now = start;
  while (now < stop) {
    messages += pass();
    passes++;
    now = process.hrtime.bigint();
  }
  return { name: workload.name, messages, bytes: passes * workload.bytesPerPass, seconds: Number(now - start) / 1e9 };
}

async function main(): Promise<void> {
  const [target, budgetArg, onlyArg] = process.argv.slice(2);
  const budgetMs = Number(budgetArg) || 500;
  const only = onlyArg ? onlyArg.split(',') : null;
  const adapter = target === 'wsmith' ? await wsmithAdapter() : wsAdapter();
  if (adapter === null) {
    process.send?.({ type: 'failed', error: 'wsmith protocol core not built (dist/protocol/index.js)' });
    return;
  }
  const cases: MicroCase[] = [];
  for (const workload of MICRO_WORKLOADS) {
    if (only && !only.includes(workload.name)) continue;
    cases.push(measure(workload, adapter, budgetMs));
  }
  process.send?.({ type: 'result', cases });
}

main().catch((error: unknown) => {
  process.send?.({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
});
