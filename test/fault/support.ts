// Shared by the fault and load tests: raw loopback WebSocket clients that cost little (thousands in
// one process), a real garbage collection, and counts of what a leak would leave behind.
import { createHook } from 'node:async_hooks';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const HANDSHAKE = Buffer.from(
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);

/** A whole client frame with a zero masking key (the payload goes as it is; §5.3: MASK set). */
export { zeroMaskFrame as clientFrame } from '../support/zero-mask-frame.js';

/** Counts server frames as they stream by, without keeping them (payloads are not copied). */
export class FrameCounter {
  frames = 0;
  closeCode = -1;
  private pending: Buffer = Buffer.alloc(0);
  private skip = 0;

  push(chunk: Buffer): void {
    let data = chunk;
    if (this.skip > 0) {
      const n = Math.min(this.skip, data.length);
      this.skip -= n;
      data = data.subarray(n);
    }
    if (this.pending.length > 0) {
      data = Buffer.concat([this.pending, data]);
      this.pending = Buffer.alloc(0);
    }
    while (data.length >= 2) {
      let length = data[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (data.length < 4) break;
        length = data.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (data.length < 10) break;
        length = Number(data.readBigUInt64BE(2));
        offset = 10;
      }
      if ((data[0] & 0x0f) === 0x8) {
        if (data.length < offset + length) break;
        this.closeCode = length >= 2 ? data.readUInt16BE(offset) : 1005;
      }
      this.frames++;
      if (data.length < offset + length) {
        this.skip = offset + length - data.length;
        data = data.subarray(data.length);
        break;
      }
      data = data.subarray(offset + length);
    }
    if (data.length > 0) this.pending = Buffer.from(data);
  }
}

/** A raw client that has completed the handshake; what follows the 101 goes to `onData`. */
export async function openRawClient(port: number, onData?: (chunk: Buffer) => void): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(HANDSHAKE);
  let head = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onHead = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.removeListener('data', onHead);
      if (!head.subarray(0, 13).toString('latin1').startsWith('HTTP/1.1 101')) {
        reject(new Error(`refused: ${head.toString('latin1', 0, end)}`));
        return;
      }
      const rest = head.subarray(end + 4);
      if (onData !== undefined) {
        if (rest.length > 0) onData(rest);
        socket.on('data', onData);
      }
      resolve();
    };
    socket.on('data', onHead);
    socket.once('close', () => reject(new Error('closed during the handshake')));
  });
  return socket;
}

/** A full garbage collection (the flag is set at run time, as vitest's workers start without it). */
let gcFunction: (() => void) | null = null;
export async function collectGarbage(): Promise<void> {
  if (gcFunction === null) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < 4; i++) {
    gcFunction();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * The library's timers (created from a file under src/) that are still pending: a leaked keepalive
 * or deadline sweep, close timer or handshake deadline shows here with the stack that made it.
 * The test runner's own timers are left out.
 */
export function trackLibraryTimers(): { pending(): string[]; stop(): void } {
  const alive = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout') return;
      const stack = new Error().stack ?? '';
      const frame = stack.split('\n').find((line) => line.includes('/src/'));
      if (frame !== undefined) alive.set(id, frame.trim());
    },
    destroy(id) {
      alive.delete(id);
    },
  });
  hook.enable();
  return { pending: () => [...alive.values()], stop: () => hook.disable() };
}

/** The soft limit on open files: 2,000 connections in one process need about 4,100. */
export function openFilesLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return Infinity;
  }
}

export { until } from '../support/until.js';

/** Unhandled rejections and uncaught exceptions seen while `body` runs (listeners removed after). */
export async function watchProcessFaults<T>(body: (faults: Error[]) => Promise<T>): Promise<T> {
  const faults: Error[] = [];
  const onFault = (error: unknown): void => {
    faults.push(error instanceof Error ? error : new Error(String(error)));
  };
  process.on('uncaughtException', onFault);
  process.on('unhandledRejection', onFault);
  try {
    return await body(faults);
  } finally {
    process.removeListener('uncaughtException', onFault);
    process.removeListener('unhandledRejection', onFault);
  }
}

/** Print a measured figure where `npm test` shows it, and keep it for the report. */
export function figure(line: string): void {
  console.log(`FIGURE ${line}`);
}
