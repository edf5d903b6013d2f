// What the orchestrator (bench/run.ts) asks a load-client process to do, and what it answers.
import type { Transport } from '../targets.js';
import type { CpuSeconds } from './window.js';

export interface EchoParams {
  connections: number;
  inFlight: number;
  /** Payload bytes (with json: at least this many, whole records). */
  size: number;
  text: boolean;
  /** Chat-like JSON text (frames.ts jsonPayloads) instead of filler: what compression is for. */
  json?: boolean;
}
export interface BroadcastParams {
  subscribers: number;
  /** Messages the publisher keeps in flight, counted until every subscriber has them. */
  window: number;
  size: number;
  /** Chat-like JSON text of at least `size` bytes instead of random binary. */
  json?: boolean;
}
export interface ConnectParams {
  parallel: number;
}
export interface IdleParams {
  /** Connections opened before the baseline reading (they absorb one-time costs). */
  warm: number;
  connections: number;
  parallel: number;
  /** Each connection first exchanges one JSON text message of at least this many bytes (echoed). */
  message?: number;
}
export interface HttpRejectParams {
  connections: number;
}

export type LoadJob = {
  port: number;
  serverPid: number;
  rawEcho: boolean;
  /** Offer permessage-deflate and compress (deflate.ts); the server was made with it on. */
  deflate: boolean;
  /** Unset: plain TCP. Else HTTP/1.1 over TLS or HTTP/2 to the http2 server (targets.ts). */
  transport?: Transport;
  /** The self-signed certificate the client trusts (with a transport). */
  certFile?: string;
  warmupMs: number;
  measureMs: number;
} & (
  | { kind: 'echo'; params: EchoParams }
  | { kind: 'broadcast'; params: BroadcastParams }
  | { kind: 'connect'; params: ConnectParams }
  | { kind: 'idle'; params: IdleParams }
  | { kind: 'http-reject'; params: HttpRejectParams }
);

export type LoadResult =
  | {
      ok: true;
      /** Units of work done in the measured window (messages, deliveries, handshakes, requests). */
      units: number;
      seconds: number;
      serverCpu: CpuSeconds;
      clientCpu: number;
      otherCpu: number;
      detail: Record<string, number | string>;
    }
  | { ok: false; error: string };

/** Messages between the load client and the orchestrator while a job runs (idle-memory only). */
export type ClientMessage = { type: 'holding'; connections: number } | { type: 'result'; result: LoadResult };
export type ParentMessage = { type: 'continue' };
