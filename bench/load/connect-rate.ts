// connect-rate: `parallel` loops, each doing open → upgrade → close handshake → TCP close, then
// the next. A cycle counts only when the 101 and its Sec-WebSocket-Accept are right and the server
// answered our close frame with a close frame (RFC 6455 §5.5.1). Against the raw echo target the
// same bytes are echoed instead, which gives the TCP connect/close ceiling.
import net from 'node:net';
import { clientCloseFrame, upgradeRequest } from './frames.js';
import { checkUpgradeResponse } from './handshake.js';
import type { LoadJob, LoadResult } from './job.js';
import { MeasureWindow, scheduleWindow, type WindowResult } from './window.js';

const CYCLE_TIMEOUT_MS = 10_000;
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

/** One open/handshake/close cycle; resolves when the socket is fully closed. */
function cycle(port: number, rawEcho: boolean, request: Buffer, closeFrame: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    let upgraded = false;
    let closeAnswered = false;
    let failed = false;
    const timer = setTimeout(() => fail('cycle timed out'), CYCLE_TIMEOUT_MS);
    const fail = (message: string): void => {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(message));
    };
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      if (!upgraded) {
        if (rawEcho) {
          if (buffered.length < request.length) return;
          if (!buffered.subarray(0, request.length).equals(request)) return fail('raw echo changed the request');
          buffered = buffered.subarray(request.length);
        } else {
          const end = buffered.indexOf(HEADER_END);
          if (end < 0) return;
          const problem = checkUpgradeResponse(buffered.toString('latin1', 0, end));
          if (problem) return fail(problem);
          buffered = buffered.subarray(end + HEADER_END.length);
        }
        upgraded = true;
        socket.write(closeFrame);
      }
      if (closeAnswered || buffered.length < 2) return;
      if (rawEcho) {
        if (buffered.length < closeFrame.length) return;
        if (!buffered.subarray(0, closeFrame.length).equals(closeFrame)) return fail('raw echo changed the close frame');
        closeAnswered = true;
        socket.end(); // the raw echo never closes first
        return;
      }
      // The server's close frame: FIN + opcode 8, unmasked, payload ≤ 125 (§5.5).
      if (buffered[0] !== 0x88 || buffered[1] > 125) {
        return fail(`expected a close frame, got 0x${buffered[0].toString(16)} 0x${buffered[1].toString(16)}`);
      }
      if (buffered.length < 2 + buffered[1]) return;
      closeAnswered = true;
    });
    socket.on('error', (error) => fail(error.message));
    socket.on('close', () => {
      if (failed) return;
      clearTimeout(timer);
      if (!closeAnswered) return fail(upgraded ? 'closed without answering the close frame' : 'closed during the handshake');
      resolve();
    });
  });
}

export async function runConnectRate(job: LoadJob & { kind: 'connect' }): Promise<LoadResult> {
  const { parallel } = job.params;
  const request = upgradeRequest('/');
  const closeFrame = clientCloseFrame();
  let completed = 0;
  let running = true;
  let error: string | null = null;
  let measured: WindowResult | null = null;
  const window = new MeasureWindow(job.serverPid);

  const loop = async (): Promise<void> => {
    while (running) {
      try {
        await cycle(job.port, job.rawEcho, request, closeFrame);
        completed++;
      } catch (cause) {
        error ??= (cause as Error).message;
        running = false;
      }
    }
  };
  const loops = Promise.all(Array.from({ length: parallel }, loop));
  await new Promise<void>((resolve) => {
    const cancel = scheduleWindow(window, job.warmupMs, job.measureMs, () => completed, (result) => {
      measured = result;
      running = false;
      resolve();
    });
    // If a loop fails early the window is abandoned.
    void loops.then(() => {
      cancel();
      resolve();
    });
  });
  await loops;
  if (error !== null) return { ok: false, error };
  if (measured === null) return { ok: false, error: 'no measurement' };
  const result: WindowResult = measured;
  return { ok: true, ...result, detail: { handshakes: result.units, totalHandshakes: completed } };
}
