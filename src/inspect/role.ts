/**
 * Who receives the bytes being inspected. RFC 6455 §5.1: a client masks every frame it sends
 * and a server never does, so the receiver's role decides which frames are valid.
 */
import { MASK_BIT } from '../protocol/frame.js';
import type { FrameParserOptions } from '../protocol/parser.js';

/** The endpoint that reads the bytes: 'server' (expects masked frames) or 'client'. */
export type Role = FrameParserOptions['role'];

/** The other end of the connection: the one that reads what `role` sends. */
export function peerOf(role: Role): Role {
  return role === 'server' ? 'client' : 'server';
}

/** §5.1: clients mask, servers do not; so a masked first frame is read by a server. */
export function inferRole(bytes: Uint8Array): Role {
  return bytes.length >= 2 && (bytes[1] & MASK_BIT) === 0 ? 'client' : 'server';
}
