// idle-memory: open `warm` connections (they absorb the server's one-time costs: lazily loaded
// code, first buffers), tell the orchestrator so it can read the server's memory, open
// `connections` more, tell it again, then wait to be released. Per-connection memory is the
// difference between the two readings divided by `connections`.
import { openMany, openWebSocket, type OpenSocket } from './handshake.js';
import type { ClientMessage, IdleParams, LoadJob, LoadResult, ParentMessage } from './job.js';

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
  const { warm, connections, parallel } = job.params as IdleParams;
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
    track(await openMany(warm, parallel, () => openWebSocket(job.port, '/', job.rawEcho)));
    await holdAndWait(all.length);
    const started = process.hrtime.bigint();
    track(await openMany(connections, parallel, () => openWebSocket(job.port, '/', job.rawEcho)));
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
      detail: { connections, warm },
    };
  } finally {
    for (const { socket } of all) socket.destroy();
  }
}
