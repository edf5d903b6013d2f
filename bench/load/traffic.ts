// What the load client's connections send and how their answers are checked, plain or with
// permessage-deflate, so that echo, broadcast and idle-memory drive both the same way. For
// deflate, the plan follows what the server answered to the offer (deflate.ts).
import { ContextTakeoverMessages, DeflateFrameScanner, IndependentMessages, InflateStats } from './deflate-scanner.js';
import { compressedFrames, DEFLATE_OFFER, parseDeflateAnswer, plainFrames, sameAgreement, type OutgoingFrames } from './deflate.js';
import { readFileSync } from 'node:fs';
import type { ClientHttp2Session } from 'node:http2';
import { maskedFrame, wirePayload } from './frames.js';
import { extendedConnect, openSession, openStream, SendWindowSampler } from './h2-session.js';
import { http1TlsOptions, openMany, openWebSocket, type OpenSocket } from './handshake.js';
import type { LoadJob } from './job.js';
import { FrameScanner } from './scanner.js';

/** A scanner of one connection's answers: FrameScanner or DeflateFrameScanner. */
export interface Scanner {
  received: number;
  error: string | null;
  push(chunk: Buffer): number;
}

export interface Traffic {
  out: OutgoingFrames;
  /** A fresh scanner for one connection (all of a scenario's connections expect the same cycle). */
  scanner(): Scanner;
  /** For the result: what was negotiated and the client's zlib work. */
  detail(): Record<string, number | string>;
}

/** The Sec-WebSocket-Extensions offer for a job: the browsers' one with deflate, none without. */
export function offerFor(deflate: boolean): string | undefined {
  return deflate ? DEFLATE_OFFER : undefined;
}

/** Uncompressed messages; against the raw TCP echo the answers are the client's own masked frames. */
export function plainTraffic(payloads: Buffer[], opcode: number, rawEcho: boolean): Traffic {
  const frames = payloads.map((payload) => maskedFrame(opcode, payload));
  const expectation = { opcode, masked: rawEcho, payloads: rawEcho ? frames.map(wirePayload) : payloads };
  return { out: plainFrames(frames), scanner: () => new FrameScanner(expectation), detail: () => ({}) };
}

/**
 * Compressed messages as `opened` negotiated them (every connection must have the same
 * answer); throws with what is wrong if the server declined or answered badly.
 */
export function deflateTraffic(payloads: Buffer[], opcode: number, opened: OpenSocket[]): Traffic {
  const answer = opened[0]?.extensions ?? '';
  const agreement = parseDeflateAnswer(answer);
  if (typeof agreement === 'string') throw new Error(agreement);
  for (const other of opened) {
    const theirs = other.extensions === answer ? agreement : parseDeflateAnswer(other.extensions);
    if (typeof theirs === 'string') throw new Error(theirs);
    if (!sameAgreement(agreement, theirs)) throw new Error(`connections got different answers: ${answer} / ${other.extensions}`);
  }
  const stats = new InflateStats();
  const shared = agreement.serverNoContextTakeover ? new IndependentMessages(payloads, stats) : null;
  return {
    out: compressedFrames(payloads, opcode, agreement),
    scanner: () => new DeflateFrameScanner(opcode, shared ?? new ContextTakeoverMessages(payloads, stats)),
    detail: () => ({ extension: answer, ...stats.detail() }),
  };
}

export function trafficFor(deflate: boolean, payloads: Buffer[], opcode: number, rawEcho: boolean, opened: OpenSocket[]): Traffic {
  return deflate ? deflateTraffic(payloads, opcode, opened) : plainTraffic(payloads, opcode, rawEcho);
}

export interface OpenWebSockets {
  open: OpenSocket[];
  /** Destroy every socket (and the HTTP/2 session they share, if any). */
  close(): void;
  /** For the result: TCP connections used, and over HTTP/2 how often flow control held the client. */
  detail(): Record<string, number>;
}

/**
 * Open `count` WebSockets to `path`, offering deflate when the job does: each on its own TCP (or
 * TLS) connection, or with `transport: 'h2'` all as streams of one HTTP/2 session.
 */
export async function openWebSockets(job: LoadJob, path: string, count: number, parallel: number): Promise<OpenWebSockets> {
  const offer = offerFor(job.deflate);
  let session: ClientHttp2Session | null = null;
  let opening: (index: number) => Promise<OpenSocket>;
  if (job.transport === undefined) {
    opening = () => openWebSocket(job.port, path, job.rawEcho, undefined, offer);
  } else {
    if (job.certFile === undefined || job.deflate) throw new Error('a TLS transport needs certFile and no deflate');
    const ca = readFileSync(job.certFile);
    if (job.transport === 'h2') {
      const h2 = (session = await openSession(job.port, ca));
      const headers = extendedConnect(job.port, path);
      opening = () => openStream(h2, headers);
    } else {
      const tls = http1TlsOptions(ca);
      opening = () => openWebSocket(job.port, path, false, undefined, undefined, tls);
    }
  }
  try {
    const open = await openMany(count, parallel, opening);
    const sampler = session !== null ? new SendWindowSampler(session) : null;
    return {
      open,
      close: () => {
        sampler?.stop();
        for (const { socket } of open) socket.destroy();
        session?.destroy();
      },
      detail: () => ({ tcpConnections: session !== null ? 1 : count, ...sampler?.detail() }),
    };
  } catch (error) {
    session?.destroy();
    throw error;
  }
}

/** Open `count` connections to `path` (offering deflate when the job does) and plan their traffic. */
export async function openWithTraffic(
  job: LoadJob,
  path: string,
  count: number,
  parallel: number,
  payloads: Buffer[],
  opcode: number,
): Promise<OpenWebSockets & { traffic: Traffic }> {
  const opened = await openWebSockets(job, path, count, parallel);
  try {
    return { ...opened, traffic: trafficFor(job.deflate, payloads, opcode, job.rawEcho, opened.open) };
  } catch (error) {
    opened.close();
    throw error;
  }
}
