// broadcast: S subscribers connect first, then one publisher. The publisher keeps `window`
// messages in flight, where a message counts as done only when EVERY subscriber has it, so the
// server is never asked to buffer more than the window. Each subscriber scans its stream and
// checks every payload; the publisher's new frames leave in one write per event-loop turn. With
// deflate, everyone offers permessage-deflate: the publisher compresses, the subscribers inflate.
import { distinctPayloads, jsonPayloads, Opcode } from './frames.js';
import { openMany, openWebSocket, type OpenSocket } from './handshake.js';
import type { BroadcastParams, LoadJob, LoadResult } from './job.js';
import { offerFor, trafficFor, type Traffic } from './traffic.js';
import { MeasureWindow, scheduleWindow, type WindowResult } from './window.js';

const DRAIN_TIMEOUT_MS = 10_000;

export async function runBroadcast(job: LoadJob & { kind: 'broadcast' }): Promise<LoadResult> {
  const { subscribers, window: inFlight, size, json } = job.params as BroadcastParams;
  const slots = inFlight * 2; // a subscriber is never more than `inFlight` ahead of the slowest
  const payloads = json ? jsonPayloads(slots, size, 64) : distinctPayloads(slots, size, false, 64);
  const opcode = json ? Opcode.Text : Opcode.Binary;

  const offer = offerFor(job.deflate);
  const subs = await openMany(subscribers, 100, () => openWebSocket(job.port, '/sub', job.rawEcho, undefined, offer));
  let publisher: OpenSocket | undefined;
  let traffic: Traffic;
  try {
    publisher = await openWebSocket(job.port, '/pub', job.rawEcho, undefined, offer);
    // The publisher's answer decides how it compresses; the subscribers' how they inflate.
    traffic = trafficFor(job.deflate, payloads, opcode, job.rawEcho, [publisher, ...subs]);
  } catch (error) {
    publisher?.socket.destroy();
    for (const { socket } of subs) socket.destroy();
    throw error;
  }
  const pub = (publisher as OpenSocket).socket;
  const { ring } = traffic.out;

  return new Promise<LoadResult>((resolve) => {
    const counts = new Uint32Array(slots); // subscribers that have message seq, at seq % slots
    let lowest = 0; // first message not yet delivered to everyone
    let sent = 0;
    let deliveries = 0;
    let sending = true;
    let settled = false;
    let flushQueued = false;
    let measured: WindowResult | null = null;
    let drainTimer: NodeJS.Timeout | undefined;
    const window = new MeasureWindow(job.serverPid);

    const settle = (result: LoadResult): void => {
      if (settled) return;
      settled = true;
      cancelWindow();
      if (drainTimer) clearTimeout(drainTimer);
      pub.destroy();
      for (const { socket } of subs) socket.destroy();
      resolve(result);
    };
    const fail = (error: string): void => settle({ ok: false, error });
    const maybeDone = (): void => {
      if (!sending && lowest === sent && measured) {
        settle({
          ok: true,
          ...measured,
          detail: { deliveries: measured.units, messagesPublished: sent, subscribers, ...traffic.detail() },
        });
      }
    };
    const flush = (): void => {
      flushQueued = false;
      if (settled || !sending) return;
      const count = lowest + inFlight - sent;
      if (count <= 0) return;
      pub.write(sent === 0 ? traffic.out.opening(count) : ring.slice(sent, count));
      sent += count;
    };

    for (const [index, { socket, leftover }] of subs.entries()) {
      const scanner = traffic.scanner();
      const onData = (chunk: Buffer): void => {
        const first = scanner.received;
        const done = scanner.push(chunk);
        if (scanner.error !== null) return fail(`subscriber ${index}: ${scanner.error}`);
        if (done === 0) return;
        if (scanner.received > sent) return fail(`subscriber ${index} got a message that was never published`);
        deliveries += done;
        for (let seq = first; seq < first + done; seq++) counts[seq % slots]++;
        let advanced = false;
        while (lowest < sent && counts[lowest % slots] === subscribers) {
          counts[lowest % slots] = 0;
          lowest++;
          advanced = true;
        }
        if (!advanced) return;
        if (sending && !flushQueued) {
          flushQueued = true;
          setImmediate(flush);
        } else {
          maybeDone();
        }
      };
      socket.on('data', onData);
      socket.on('error', (error) => fail(`subscriber ${index}: ${error.message}`));
      socket.on('close', () => {
        if (!settled) fail(`subscriber ${index} closed by the server`);
      });
      if (leftover.length > 0) onData(leftover);
    }
    pub.on('data', () => fail('the publisher received data it should not get'));
    pub.on('error', (error) => fail(`publisher: ${error.message}`));
    pub.on('close', () => {
      if (!settled) fail('publisher closed by the server');
    });

    flush();
    const cancelWindow = scheduleWindow(window, job.warmupMs, job.measureMs, () => deliveries, (result) => {
      measured = result;
      sending = false;
      drainTimer = setTimeout(
        () => fail(`${sent - lowest} message(s) not delivered to every subscriber (missing)`),
        DRAIN_TIMEOUT_MS,
      );
      maybeDone();
    });
  });
}
