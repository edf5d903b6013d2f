/** Helpers shared by the split protocol.test.ts files. */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Protocol, ReadyState, type ProtocolHandler, type ProtocolOptions } from '../../../src/protocol/protocol.js';
import type { ProtocolError } from '../../../src/protocol/errors.js';
import { Opcode, frameHeaderLength, writeFrameHeader } from '../../../src/protocol/frame.js';
import { applyMask } from '../../../src/protocol/mask.js';
import { parseFrames, type ParsedFrame } from './frames.js';

export type Event =
  | ['message', string, boolean]
  | ['ping', string]
  | ['pong', string]
  | ['close', number, string]
  | ['error', number, string];

/** A handler that records events (data as hex, so the comparison is exact). */
export class Recorder implements ProtocolHandler {
  onReady(): void {}
  events: Event[] = [];
  onMessage(data: Buffer, isBinary: boolean): void {
    this.events.push(['message', data.toString('hex'), isBinary]);
  }
  onPing(data: Buffer): void {
    this.events.push(['ping', data.toString('hex')]);
  }
  onPong(data: Buffer): void {
    this.events.push(['pong', data.toString('hex')]);
  }
  onCloseFrame(code: number, reason: Buffer): void {
    this.events.push(['close', code, reason.toString('hex')]);
  }
  onProtocolError(error: ProtocolError): void {
    this.events.push(['error', error.closeCode, error.code]);
  }
  get errors(): Array<['error', number, string]> {
    return this.events.filter((e): e is ['error', number, string] => e[0] === 'error');
  }
}

export const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
export let keyCounter = 0;
export const maskKeySource = (): Uint8Array => Uint8Array.of(keyCounter++, 0x5a, 0xa5, 0xff);

export function server(options: Partial<ProtocolOptions> = {}): { connection: Protocol; recorder: Recorder } {
  const recorder = new Recorder();
  return { recorder, connection: new Protocol(recorder, { role: 'server', ...options }) };
}

export function client(options: Partial<ProtocolOptions> = {}): { connection: Protocol; recorder: Recorder } {
  const recorder = new Recorder();
  return { recorder, connection: new Protocol(recorder, { role: 'client', maskKeySource, ...options }) };
}

export interface FrameSpec {
  fin?: boolean;
  opcode: number;
  payload?: Buffer | string;
  mask?: boolean;
  rsv?: number;
  /** Announce this length instead of the payload's (for truncated frames). */
  length?: number;
}

/** Encode a frame as a peer would (masked by default: a client's frame). */
export function frame({ fin = true, opcode, payload = Buffer.alloc(0), mask = true, rsv = 0, length }: FrameSpec): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const announced = length ?? bytes.length;
  const key = mask ? KEY : null;
  const headerLength = frameHeaderLength(announced, mask);
  const out = Buffer.alloc(headerLength + bytes.length);
  writeFrameHeader(out, 0, fin, opcode, announced, key);
  out[0] |= rsv;
  bytes.copy(out, headerLength);
  if (key !== null) applyMask(out.subarray(headerLength), key);
  return out;
}

export function closeBody(code: number, reason: Buffer | string = ''): Buffer {
  const r = typeof reason === 'string' ? Buffer.from(reason) : reason;
  const out = Buffer.alloc(2 + r.length);
  out.writeUInt16BE(code);
  r.copy(out, 2);
  return out;
}

export type OutFrame = ParsedFrame;

/** Parse everything the connection wants to send. */
export function output(connection: Protocol): OutFrame[] {
  return parseFrames(connection.dataToSend(), connection.role === 'server' ? 'client' : 'server');
}

export function expectClose(frames: OutFrame[], code: number | null): void {
  const last = frames[frames.length - 1];
  expect(last?.opcode).toBe(Opcode.Close);
  if (code === null) expect(last.payload.length).toBe(0);
  else expect(last.payload.readUInt16BE(0)).toBe(code);
}

export const hex = (s: string): string => Buffer.from(s).toString('hex');
export const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
