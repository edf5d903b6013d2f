// idle-memory: open `warm` connections (they absorb the server's one-time costs: lazily loaded
// code, first buffers), tell the orchestrator so it can read the server's memory, open
// `connections` more, tell it again, then wait to be released. Per-connection memory is the
// difference between the two readings divided by `connections`. With `message`, each connection
// first sends one JSON text and waits for its echo (checked, inflated with deflate): what a
// connection keeps after it has used compression once.
import { jsonPayloads, Opcode } from './frames.js';
import { openMany, openWebSocket, type OpenSocket } from './handshake.js';
import type { ClientMessage, IdleParams, LoadJob, LoadResult, ParentMessage } from './job.js';
import { offerFor, trafficFor, type Traffic } from './traffic.js';

const ANSWER_TIMEOUT_MS = 10_000;

/** Send the first message of `traffic` on `open` and wait for its right echo. */
function exchangeOne(open: OpenSocket, traffic: Traffic): Promise<void> {
  const { socket } = open;
  const scanner = traffic.scanner();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no echo of the message within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      scanner.push(chunk);
      if (scanner.error !== null) done(new Error(scanner.error));
      else if (scanner.received > 0) done(null);
    };
    const onClose = (): void => done(new Error('closed by the server before echoing the message'));
    const done = (error: Error | null): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error === null) return resolve();
      socket.destroy();
      reject(error);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(traffic.out.opening(1));
    if (open.leftover.length > 0) onData(open.leftover);
  });
}

function holdAndWait(connections: number): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: ParentMessage): void => {
      if (message.type !== 'continue') return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    const note: ClientMessage = { type: 'holding', connections };
    process.send?.(note);
  });
}

export async function runIdle(job: LoadJob & { kind: 'idle' }): Promise<LoadResult> {
  const { warm, connections, parallel, message } = job.params as IdleParams;
  const offer = offerFor(job.deflate);
  const payloads = message ? jsonPayloads(1, message, 7) : [];
  let traffic: Traffic | null = null;
  let answer = '';
  const openOne = async (): Promise<OpenSocket> => {
    const open = await openWebSocket(job.port, '/', job.rawEcho, undefined, offer);
    if (!message) return open;
    try {
      if (traffic === null) {
        traffic = trafficFor(job.deflate, payloads, Opcode.Text, job.rawEcho, [open]);
        answer = open.extensions;
      } else if (open.extensions !== answer) {
        throw new Error(`connections got different answers: ${answer} / ${open.extensions}`);
      }
    } catch (error) {
      open.socket.destroy();
      throw error;
    }
    await exchangeOne(open, traffic);
    return open;
  };
  const all: OpenSocket[] = [];
  let closedEarly = 0;
  const track = (opened: OpenSocket[]): void => {
    for (const open of opened) {
      open.socket.on('close', () => closedEarly++);
      open.socket.on('error', () => {});
      all.push(open);
    }
  };
  try {
    track(await openMany(warm, parallel, openOne));
    await holdAndWait(all.length);
    const started = process.hrtime.bigint();
    track(await openMany(connections, parallel, openOne));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await holdAndWait(all.length);
    if (closedEarly > 0) return { ok: false, error: `${closedEarly} idle connection(s) closed by the server` };
    return {
      ok: true,
      units: connections,
      seconds,
      serverCpu: { user: 0, system: 0 },
      clientCpu: 0,
      otherCpu: 0,
      detail: { connections, warm, ...(traffic === null ? {} : (traffic as Traffic).detail()) },
    };
  } finally {
    for (const { socket } of all) socket.destroy();
  }
}
