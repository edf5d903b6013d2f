import { describe, expect, it } from 'vitest';
import {
  normalizePerMessageDeflate,
  type PerMessageDeflateOptions,
} from '../../../src/protocol/extensions/deflate-options.js';

describe('normalizePerMessageDeflate', () => {
  it('is off by default on a server and on by default on a client, as in ws', () => {
    expect(normalizePerMessageDeflate(undefined, 'server')).toBeNull();
    expect(normalizePerMessageDeflate(false, 'client')).toBeNull();
    expect(normalizePerMessageDeflate(undefined, 'client')).not.toBeNull();
  });

  it('server defaults: no context takeover either way, threshold 1024, zlib defaults, 10 jobs', () => {
    expect(normalizePerMessageDeflate(true, 'server')).toEqual({
      role: 'server',
      threshold: 1024,
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: undefined,
      clientMaxWindowBits: undefined,
      level: -1,
      memLevel: 8,
      strategy: 0,
      deflateChunkSize: undefined,
      inflateChunkSize: undefined,
      concurrencyLimit: 10,
    });
  });

  it('client defaults: asks for nothing, offers client_max_window_bits without a value', () => {
    expect(normalizePerMessageDeflate({}, 'client')).toMatchObject({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: undefined,
      clientMaxWindowBits: true,
    });
    expect(normalizePerMessageDeflate({ clientMaxWindowBits: false }, 'client')?.clientMaxWindowBits).toBeUndefined();
    expect(normalizePerMessageDeflate({ clientMaxWindowBits: 12 }, 'client')?.clientMaxWindowBits).toBe(12);
  });

  it('lets a server allow context takeover with false', () => {
    expect(
      normalizePerMessageDeflate({ serverNoContextTakeover: false, clientNoContextTakeover: false }, 'server'),
    ).toMatchObject({ serverNoContextTakeover: false, clientNoContextTakeover: false });
  });

  it('takes level and memLevel from the top level first, then from zlibDeflateOptions (ws 8)', () => {
    const both = normalizePerMessageDeflate({ level: 1, zlibDeflateOptions: { level: 9, memLevel: 4, strategy: 1, chunkSize: 1024 } }, 'server');
    expect(both).toMatchObject({ level: 1, memLevel: 4, strategy: 1, deflateChunkSize: 1024 });
    expect(normalizePerMessageDeflate({ zlibInflateOptions: { chunkSize: 4096, windowBits: 9 } }, 'server')).toMatchObject({
      inflateChunkSize: 4096,
    });
  });

  it('refuses 8 bits in every window option: zlib cannot compress raw DEFLATE with 256 bytes', () => {
    const options: PerMessageDeflateOptions[] = [{ serverMaxWindowBits: 8 }, { clientMaxWindowBits: 8 }];
    for (const option of options) {
      for (const role of ['server', 'client'] as const) {
        expect(() => normalizePerMessageDeflate(option, role)).toThrow(RangeError);
        expect(() => normalizePerMessageDeflate(option, role)).toThrow(/256-byte window/);
      }
    }
    expect(normalizePerMessageDeflate({ serverMaxWindowBits: 9 }, 'server')?.serverMaxWindowBits).toBe(9);
    expect(normalizePerMessageDeflate({ clientMaxWindowBits: 9 }, 'client')?.clientMaxWindowBits).toBe(9);
  });

  it('accepts Infinity where there is no upper bound', () => {
    expect(normalizePerMessageDeflate({ threshold: Infinity, concurrencyLimit: Infinity }, 'server')).toMatchObject({
      threshold: Infinity,
      concurrencyLimit: Infinity,
    });
    expect(normalizePerMessageDeflate({ threshold: 0 }, 'server')?.threshold).toBe(0);
  });

  it('throws a TypeError for a value of the wrong type', () => {
    const wrong: unknown[] = ['yes', 1, null, () => true];
    for (const option of wrong) {
      expect(() => normalizePerMessageDeflate(option as PerMessageDeflateOptions, 'server')).toThrow(TypeError);
    }
    const options: Array<Record<string, unknown>> = [
      { threshold: '1024' },
      { serverNoContextTakeover: 1 },
      { clientNoContextTakeover: 'false' },
      { serverMaxWindowBits: '10' },
      { clientMaxWindowBits: null },
      { level: '9' },
      { memLevel: true },
      { concurrencyLimit: '10' },
      { zlibDeflateOptions: 3 },
      { zlibInflateOptions: null },
      { zlibDeflateOptions: { level: '1' } },
    ];
    for (const option of options) {
      expect(() => normalizePerMessageDeflate(option as PerMessageDeflateOptions, 'server'), JSON.stringify(option)).toThrow(TypeError);
    }
  });

  it('throws a RangeError for a number out of range, naming the option', () => {
    const options: Array<[Record<string, unknown>, RegExp]> = [
      [{ threshold: -1 }, /threshold/],
      [{ threshold: Number.NaN }, /threshold/],
      [{ serverMaxWindowBits: 7 }, /serverMaxWindowBits" option must be an integer from 9 to 15/],
      [{ serverMaxWindowBits: 16 }, /serverMaxWindowBits/],
      [{ serverMaxWindowBits: 9.5 }, /integer/],
      [{ clientMaxWindowBits: 16 }, /clientMaxWindowBits/],
      [{ level: 10 }, /level" option must be an integer from -1 to 9/],
      [{ level: -2 }, /level/],
      [{ memLevel: 0 }, /memLevel/],
      [{ memLevel: 10 }, /memLevel/],
      [{ concurrencyLimit: 0 }, /concurrencyLimit" option must be an integer >= 1/],
      [{ concurrencyLimit: 1.5 }, /concurrencyLimit/],
      [{ zlibDeflateOptions: { strategy: 5 } }, /zlibDeflateOptions.strategy/],
      [{ zlibDeflateOptions: { memLevel: 12 } }, /zlibDeflateOptions.memLevel/],
      [{ zlibInflateOptions: { chunkSize: 63 } }, /zlibInflateOptions.chunkSize/],
    ];
    for (const [option, message] of options) {
      expect(() => normalizePerMessageDeflate(option as PerMessageDeflateOptions, 'server'), JSON.stringify(option)).toThrow(RangeError);
      expect(() => normalizePerMessageDeflate(option as PerMessageDeflateOptions, 'server')).toThrow(message);
    }
  });
});
