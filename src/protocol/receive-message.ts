/**
 * A complete message, from its payload as received to what the application gets: inflated when
 * it was compressed (RFC 7692 §7.2.2), checked as UTF-8 when it is text (RFC 6455 §8.1).
 *
 * Inflation may finish later (the I/O layer's engine runs large inputs off the main thread).
 * Until it does, no later frame is read, so messages are delivered in the order they arrived
 * and a peer cannot queue more than one inflation per connection (§10.4: bounded resources).
 */
import { isUtf8 } from 'node:buffer';
import { CloseCode } from './close.js';
import type { ProtocolErrorCode } from './errors.js';
import type { InflateResult, MessageCodec } from './extensions/message-codec.js';
import { Opcode } from './frame.js';
import type { InboundMessage } from './inbound-message.js';

/** Where a complete message goes. */
export interface MessageReceiver {
  /** Hand the message on; false if the connection ended meanwhile (read nothing more). */
  deliver(data: Buffer, isBinary: boolean): boolean;
  /** Hand a binary message on as its frames' payloads (see InboundMessage.keepsFrames). */
  deliverFragments(fragments: Buffer[]): boolean;
  fail(code: ProtocolErrorCode, message: string, closeCode: number): false;
  /** An inflation goes on after this call returns: read no further frames until `resume`. */
  wait(): void;
  /** The inflation finished (and its message was delivered or failed): read on. */
  resume(): void;
}

/** Deliver the message `inbound` holds; returns false if the connection failed or ended. */
export function receiveMessage(
  inbound: InboundMessage,
  codec: MessageCodec | null,
  maxPayload: number,
  receiver: MessageReceiver,
): boolean {
  const isBinary = inbound.opcode === Opcode.Binary;
  if (inbound.keepsFrames) return receiver.deliverFragments(inbound.takeFragments());
  const validateUtf8 = !isBinary && inbound.validateUtf8;
  if (!inbound.compressed || codec === null) {
    const streamedValid = inbound.checksAsItStreams ? inbound.endStreamedText() : null;
    const data = inbound.take();
    if (validateUtf8 && !(streamedValid ?? isUtf8(data))) return failUtf8(receiver);
    return receiver.deliver(data, isBinary);
  }
  const compressed = inbound.take();
  let waiting = false;
  let syncResult: InflateResult | null = null;
  const finishedNow = codec.decompress(compressed, maxPayload, (result) => {
    if (!waiting) {
      syncResult = result;
      return;
    }
    deliverInflated(result, isBinary, validateUtf8, receiver);
    receiver.resume();
  });
  if (finishedNow) return deliverInflated(syncResult!, isBinary, validateUtf8, receiver);
  waiting = true;
  receiver.wait();
  return true;
}

function deliverInflated(result: InflateResult, isBinary: boolean, validateUtf8: boolean, receiver: MessageReceiver): boolean {
  if (!result.ok) {
    // §7.4.1: 1009 for a message too big to process; data that is not DEFLATE is 1007 (as `ws`).
    return result.reason === 'too-big'
      ? receiver.fail('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', result.message, CloseCode.MessageTooBig)
      : receiver.fail('WS_ERR_INVALID_COMPRESSED_DATA', result.message, CloseCode.InvalidPayload);
  }
  if (validateUtf8 && !isUtf8(result.data)) return failUtf8(receiver);
  return receiver.deliver(result.data, isBinary);
}

function failUtf8(receiver: MessageReceiver): false {
  return receiver.fail('WS_ERR_INVALID_UTF8', 'Invalid UTF-8 in a text message', CloseCode.InvalidPayload);
}
