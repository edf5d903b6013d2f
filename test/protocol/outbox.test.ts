import { describe, expect, it } from 'vitest';
import { Opcode } from '../../src/protocol/frame.js';
import { COPY_THRESHOLD, Outbox } from '../../src/protocol/outbox.js';
import { parseFrames, type ParsedFrame } from './support/frames.js';

type Frame = ParsedFrame;

/** Parse what an outbox produced (as the peer would). */
const parseAll = (buffers: Buffer[], role: 'server' | 'client'): Frame[] => parseFrames(buffers, role);

const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

describe('Outbox', () => {
  it('encodes the §5.7 "Hello" frames byte for byte', () => {
    const outbox = new Outbox();
    outbox.appendFrame(true, Opcode.Text, 'Hello', null);
    expect(Buffer.concat(outbox.take()).toString('hex')).toBe('810548656c6c6f');
    outbox.appendFrame(true, Opcode.Text, Buffer.from('Hello'), KEY);
    expect(Buffer.concat(outbox.take()).toString('hex')).toBe('818537fa213d7f9f4d5158');
    outbox.appendFrame(false, Opcode.Text, 'Hel', null);
    outbox.appendFrame(true, Opcode.Continuation, 'lo', null);
    outbox.appendFrame(true, Opcode.Ping, 'Hello', null);
    expect(Buffer.concat(outbox.take()).toString('hex')).toBe('010348656c' + '80026c6f' + '890548656c6c6f');
  });

  it('contiguous frames come out as one Buffer', () => {
    const outbox = new Outbox();
    const payloads = ['a', 'bb', '', 'x'.repeat(125), 'y'.repeat(126), 'z'.repeat(COPY_THRESHOLD)];
    for (const payload of payloads) outbox.appendFrame(true, Opcode.Text, payload, null);
    outbox.appendFrame(true, Opcode.Pong, Buffer.from('pong'), null);
    const expectedBytes = outbox.bytes;
    const taken = outbox.take();
    expect(taken).toHaveLength(1);
    expect(taken[0].length).toBe(expectedBytes);
    expect(outbox.bytes).toBe(0);
    expect(outbox.isEmpty).toBe(true);
    const frames = parseAll(taken, 'client');
    expect(frames.map((f) => f.payload.toString())).toEqual([...payloads, 'pong']);
    expect(outbox.take()).toEqual([]);
  });

  it('many small frames across slab boundaries still parse in order', () => {
    const outbox = new Outbox();
    const payloads: string[] = [];
    for (let i = 0; i < 300; i++) {
      const payload = String(i).repeat(1 + (i % 50) * 40); // up to ~8 KiB each: several slabs
      payloads.push(payload);
      outbox.appendFrame(true, Opcode.Text, payload, null);
    }
    const taken = outbox.take();
    expect(taken.length).toBeLessThan(payloads.length / 10); // runs, not one buffer per frame
    expect(parseAll(taken, 'client').map((f) => f.payload.toString())).toEqual(payloads);
  });

  it('does not copy large payloads: the caller\'s memory goes out by reference', () => {
    const outbox = new Outbox();
    const big = Buffer.alloc(COPY_THRESHOLD + 1, 7);
    outbox.appendFrame(true, Opcode.Text, 'before', null);
    outbox.appendFrame(true, Opcode.Binary, big, null);
    outbox.appendFrame(true, Opcode.Text, 'after', null);
    const taken = outbox.take();
    expect(taken).toHaveLength(3); // [small frame + big header], big payload, [small frame]
    expect(taken[1]).toBe(big);
    expect(parseAll(taken, 'client').map((f) => f.payload.length)).toEqual([6, big.length, 5]);

    // A Uint8Array view (not a Buffer) shares memory too.
    const backing = new Uint8Array(200_000).fill(3);
    const view = backing.subarray(1000, 101_000);
    outbox.appendFrame(true, Opcode.Binary, view, null);
    const [header, payload] = outbox.take();
    expect(header.length).toBe(10);
    expect(payload.buffer).toBe(backing.buffer);
    expect(payload.byteOffset).toBe(view.byteOffset);
    expect(payload.length).toBe(view.length);
    backing[1000] = 99; // proof of sharing
    expect(payload[0]).toBe(99);
  });

  it('client masking does not modify the caller\'s buffer (small, large, views)', () => {
    for (const size of [0, 5, 125, 126, 1000, COPY_THRESHOLD, COPY_THRESHOLD + 1, 70_000]) {
      const outbox = new Outbox();
      const original = Buffer.alloc(size);
      for (let i = 0; i < size; i++) original[i] = i & 0xff;
      const mine = Buffer.from(original);
      outbox.appendFrame(true, Opcode.Binary, mine, KEY);
      expect(mine.equals(original), `size ${size}`).toBe(true);
      const frames = parseAll(outbox.take(), 'server');
      expect(frames[0].masked).toBe(true);
      expect(frames[0].payload.equals(original), `size ${size}`).toBe(true);
    }
    const outbox = new Outbox();
    outbox.appendFrame(true, Opcode.Text, 'κόσμε', KEY);
    expect(parseAll(outbox.take(), 'server')[0].payload.toString()).toBe('κόσμε');
  });

  it('a region once taken is never written again', () => {
    const outbox = new Outbox();
    outbox.appendFrame(true, Opcode.Text, 'first', null);
    const [first] = outbox.take();
    const snapshot = Buffer.from(first);
    for (let i = 0; i < 100; i++) outbox.appendFrame(true, Opcode.Binary, Buffer.alloc(5000, i), null);
    outbox.take();
    expect(first.equals(snapshot)).toBe(true);
  });

  it('two outboxes sharing the slab keep their own frames in order', () => {
    const a = new Outbox();
    const b = new Outbox();
    for (let i = 0; i < 20; i++) {
      a.appendFrame(true, Opcode.Text, `a${i}`, null);
      b.appendFrame(true, Opcode.Text, `b${i}`, null);
    }
    expect(parseAll(a.take(), 'client').map((f) => f.payload.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
    expect(parseAll(b.take(), 'client').map((f) => f.payload.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`));
  });

  it('appendEncoded keeps order and counts bytes', () => {
    const outbox = new Outbox();
    const encoded = Buffer.from('8103616263', 'hex');
    outbox.appendFrame(true, Opcode.Text, 'x', null);
    outbox.appendEncoded(encoded);
    outbox.appendFrame(true, Opcode.Text, 'y', null);
    expect(outbox.bytes).toBe(3 + 5 + 3);
    const taken = outbox.take();
    expect(taken[1]).toBe(encoded);
    expect(parseAll(taken, 'client').map((f) => f.payload.toString())).toEqual(['x', 'abc', 'y']);
  });

  it('large strings are encoded as UTF-8', () => {
    const outbox = new Outbox();
    const text = 'é'.repeat(COPY_THRESHOLD);
    outbox.appendFrame(true, Opcode.Text, text, null);
    expect(parseAll(outbox.take(), 'client')[0].payload.toString()).toBe(text);
  });
});
