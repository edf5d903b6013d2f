// echo-small / echo-large / echo-deflate: N connections, each keeping `inFlight` messages
// outstanding (closed loop). Every chunk read is scanned; as many new frames as answers completed
// go out in ONE write, sliced from a pre-built ring of masked (and, with deflate, compressed)
// frames. When the window closes the client stops sending, waits for every outstanding answer
// and fails if one is missing or wrong. With `transport: 'h2'` the N WebSockets are streams of
// one HTTP/2 connection (h2-session.ts), each written to and scanned exactly as a TCP one.
import { distinctPayloads, jsonPayloads, Opcode } from './frames.js';
import type { EchoParams, LoadJob, LoadResult } from './job.js';
import { openWithTraffic } from './traffic.js';
import { MeasureWindow, scheduleWindow, type WindowResult } from './window.js';

const DRAIN_TIMEOUT_MS = 10_000;

/** Distinct payloads per slot make a lost or reordered answer a content mismatch at once. */
function payloadsFor({ inFlight, size, text, json }: EchoParams): Buffer[] {
  const slots = Math.max(inFlight + 1, 4);
  return json ? jsonPayloads(slots, size, size) : distinctPayloads(slots, size, text, size);
}

export async function runEcho(job: LoadJob & { kind: 'echo' }): Promise<LoadResult> {
  const { connections, inFlight, text, json } = job.params as EchoParams;
  const opcode = text || json ? Opcode.Text : Opcode.Binary;
  const payloads = payloadsFor(job.params as EchoParams);
  const averageSize = payloads.reduce((sum, p) => sum + p.length, 0) / payloads.length;

  const { open, close, detail, traffic } = await openWithTraffic(job, '/', connections, 64, payloads, opcode);
  const { ring } = traffic.out;
  return new Promise<LoadResult>((resolve) => {
    let total = 0;
    let sending = true;
    let settled = false;
    let outstanding = 0; // sent but not yet answered, over all connections
    let measured: WindowResult | null = null;
    let drainTimer: NodeJS.Timeout | undefined;
    const window = new MeasureWindow(job.serverPid);

    const settle = (result: LoadResult): void => {
      if (settled) return;
      settled = true;
      cancelWindow();
      if (drainTimer) clearTimeout(drainTimer);
      close();
      resolve(result);
    };
    const fail = (error: string): void => settle({ ok: false, error });
    const maybeDone = (): void => {
      if (!sending && outstanding === 0 && measured) {
        settle({
          ok: true,
          ...measured,
          detail: {
            messages: measured.units,
            bytes: Math.round(measured.units * averageSize),
            totalMessages: total,
            ...traffic.detail(),
            ...(job.transport !== undefined ? detail() : {}),
          },
        });
      }
    };

    for (const [index, { socket, leftover }] of open.entries()) {
      const scanner = traffic.scanner();
      let sent = 0;
      const onData = (chunk: Buffer): void => {
        const done = scanner.push(chunk);
        if (scanner.error !== null) return fail(`connection ${index}: ${scanner.error}`);
        if (done === 0) return;
        total += done;
        outstanding -= done;
        if (sending) {
          socket.write(ring.slice(sent, done));
          sent += done;
          outstanding += done;
        } else {
          maybeDone();
        }
      };
      socket.on('data', onData);
      socket.on('error', (error) => fail(`connection ${index}: ${error.message}`));
      socket.on('close', () => {
        if (!settled) fail(`connection ${index} closed by the server after ${scanner.received} answers`);
      });
      socket.write(traffic.out.opening(inFlight));
      sent = inFlight;
      outstanding += inFlight;
      if (leftover.length > 0) onData(leftover);
    }

    const cancelWindow = scheduleWindow(window, job.warmupMs, job.measureMs, () => total, (result) => {
      measured = result;
      sending = false;
      drainTimer = setTimeout(
        () => fail(`${outstanding} message(s) never answered (missing echo)`),
        DRAIN_TIMEOUT_MS,
      );
      maybeDone();
    });
  });
}
