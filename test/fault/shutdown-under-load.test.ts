// Graceful shutdown under load: `await hub.close()` while broadcasts are in flight (queued in the
// connections' outboxes and in the kernel's buffers). Every message accepted before the close reaches
// every receiver that is still reading — fast ones, and slow ones that pause as they read — none
// lost, none twice, in order, and then the Close (1001).
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import { clientFrame, figure, openRawClient, until, watchProcessFaults } from './support.js';

const FAST = 30;
const SLOW = 10;
const PADDING = '.'.repeat(500);

/** Reads text frames "seq ...." off a raw socket, and the Close code. */
class SeqReader {
  readonly seqs: number[] = [];
  closeCode = -1;
  /** Called with the Close frame's code (a client answers it, §5.5.1). */
  onClose: (code: number) => void = () => {};
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      let length = b[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      }
      if (b.length < offset + length) return;
      const payload = b.subarray(offset, offset + length);
      if ((b[0] & 0x0f) === 0x1) this.seqs.push(Number.parseInt(payload.toString('latin1', 0, 12), 10));
      else if ((b[0] & 0x0f) === 0x8) this.onClose((this.closeCode = payload.readUInt16BE(0)));
      this.buffer = b.subarray(offset + length);
    }
  }
}

describe('fault: graceful shutdown under load', () => {
  it('every message accepted before hub.close() reaches every reader, once, in order, before the Close', { timeout: 120_000 }, async () => {
    await watchProcessFaults(async (faults) => {
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      const hub = new Hub({ maxBufferedBytes: 64 * 1024 * 1024 });
      wss.on('connection', (ws) => hub.add(ws));
      await once(wss, 'listening');
      const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;

      // Fast readers: wsmith's own client. Slow readers: raw sockets that read in fits and starts.
      const fast = await Promise.all(
        Array.from({ length: FAST }, async () => {
          const ws = new WebSocket(url);
          const seqs: number[] = [];
          ws.on('message', (data) => seqs.push(Number.parseInt(data.toString('latin1', 0, 12), 10)));
          const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
          await once(ws, 'open');
          return { seqs, closed };
        }),
      );
      const slow = await Promise.all(
        Array.from({ length: SLOW }, async () => {
          const reader = new SeqReader();
          const socket = await openRawClient(Number(new URL(url).port), (chunk) => reader.push(chunk));
          reader.onClose = (code) => socket.end(clientFrame(0x8, Buffer.from([code >> 8, code & 0xff])));
          const stutter = setInterval(() => (socket.isPaused() ? socket.resume() : socket.pause()), 7);
          socket.once('close', () => clearInterval(stutter));
          return { reader, socket, closed: once(socket, 'close') };
        }),
      );
      await until(() => hub.size === FAST + SLOW, 10_000, 'everyone in the hub');

      // Broadcast in bursts; close the hub right after a burst, with everything still in flight.
      const receivers = FAST + SLOW;
      let accepted = 0;
      let refusedAfterClose = 0;
      let closing: Promise<void> | null = null;
      let queuedAtClose = 0;
      await new Promise<void>((resolve) => {
        const burst = (): void => {
          // The last burst is 500 broadcasts in the same tick as close(): all of it still queued.
          const size = accepted >= 1_500 && closing === null ? 500 : 50;
          for (let i = 0; i < size; i++) {
            const delivered = hub.broadcast(`${String(accepted).padStart(12, '0')}${PADDING}`);
            if (closing !== null) {
              refusedAfterClose += delivered === 0 ? 1 : 0;
              continue;
            }
            expect(delivered).toBe(receivers);
            accepted++;
          }
          if (closing !== null) return resolve();
          if (accepted >= 2_000) {
            queuedAtClose = [...wss.clients].reduce((sum, ws) => sum + ws.bufferedAmount, 0);
            closing = hub.close({ timeout: 60_000 }); // no one is cut short: every closing handshake completes
          }
          setImmediate(burst);
        };
        burst();
      });
      const closeStarted = Date.now();
      await closing;
      const closeMs = Date.now() - closeStarted;
      await Promise.all([...fast.map((f) => f.closed), ...slow.map((s) => s.closed)]);

      const all = Array.from({ length: accepted }, (_, i) => i);
      for (const [i, { seqs, closed }] of fast.entries()) {
        expect(seqs, `fast reader ${i}`).toEqual(all);
        expect(await closed).toBe(1001);
      }
      for (const [i, { reader }] of slow.entries()) {
        expect(reader.seqs, `slow reader ${i}`).toEqual(all);
        expect(reader.closeCode).toBe(1001);
      }
      expect(refusedAfterClose).toBe(50);
      expect(queuedAtClose).toBeGreaterThan(receivers * 500 * 512); // the last burst, at least, was in flight
      expect(hub.size).toBe(0);
      expect(faults).toEqual([]);
      figure(
        `shutdown: hub.close() with ${accepted} broadcasts of 512 B in flight to ${receivers} readers (${SLOW} reading in fits): ` +
          `${accepted * receivers} deliveries, none lost, none twice; ${refusedAfterClose} broadcasts after close() refused; ` +
          `close() took ${closeMs} ms, ` +
          `${(queuedAtClose / 1024 / 1024).toFixed(1)} MiB still queued on the server when it was called`,
      );
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    });
  });
});
