import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeEnvelope, encodeEnvelope, EnvelopeKind, type Envelope } from '../../src/hub/envelope.js';
import { encodeMessageFrame } from '../../src/hub/prepared-message.js';

const envelopes = fc.record({
  kind: fc.constantFrom(EnvelopeKind.Broadcast, EnvelopeKind.Direct),
  origin: fc.string({ maxLength: 60 }),
  target: fc.string({ maxLength: 300 }),
  except: fc.string({ maxLength: 300 }),
  frame: fc
    .tuple(fc.uint8Array({ maxLength: 70_000 }), fc.boolean())
    .map(([bytes, binary]) => encodeMessageFrame(binary ? Buffer.from(bytes) : Buffer.from(bytes).toString('latin1'), binary)),
});

describe('the adapter envelope', () => {
  it('round-trips every field, binary-safe', () => {
    fc.assert(
      fc.property(envelopes, (envelope: Envelope) => {
        expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
      }),
      { numRuns: 200 },
    );
  });

  it('returns null for truncated envelopes and garbage, never throws', () => {
    const whole = encodeEnvelope({
      kind: EnvelopeKind.Broadcast,
      origin: 'node-a',
      target: 'lobby',
      except: 'socket-1',
      frame: encodeMessageFrame('hi', false),
    });
    for (let end = 0; end < whole.length; end++) expect(decodeEnvelope(whole.subarray(0, end))).toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const decoded = decodeEnvelope(Buffer.from(bytes));
        if (decoded !== null) expect(encodeEnvelope(decoded)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('refuses an unknown version', () => {
    const bytes = encodeEnvelope({ kind: EnvelopeKind.Direct, origin: 'n', target: 't', except: '', frame: encodeMessageFrame('x', false) });
    bytes[0] = 2;
    expect(decodeEnvelope(bytes)).toBeNull();
  });
});
