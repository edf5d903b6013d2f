/**
 * permessage-deflate (RFC 7692) as the node layer configures it: the `perMessageDeflate` option
 * turned into the protocol's `DeflateSetup` over the zlib engine, and the compressors a Hub uses
 * to compress a broadcast once for every connection that agreed to the same parameters.
 */
import { normalizePerMessageDeflate, type PerMessageDeflateOptions } from '../../protocol/extensions/deflate-options.js';
import type { CompressionSetup } from '../../protocol/protocol-handler.js';
import type { DeflateParams, DeflateSetup } from '../../protocol/extensions/permessage-deflate.js';
import { createMessageCodec } from './zlib-codec.js';

export type PerMessageDeflateOption = boolean | PerMessageDeflateOptions;

/** Validate the option (TypeError/RangeError, as ws) and set it up; null when it is off. */
export function deflateSetupFor(option: PerMessageDeflateOption | undefined, role: 'server' | 'client'): DeflateSetup | null {
  const settings = normalizePerMessageDeflate(option, role);
  if (settings === null) return null;
  return { settings, createCodec: (params, codecRole) => createMessageCodec(params, codecRole, settings) };
}

/**
 * What one broadcast is compressed with, for all the connections that agreed to the same
 * window without server context takeover (§7.1.1.1: each message is compressed on its own, so
 * the bytes fit every such connection; RFC 6455 §5.1: a server's frames are never masked).
 */
export type BroadcastCompressor = Readonly<CompressionSetup>;

const compressors = new WeakMap<DeflateSetup, Map<number, BroadcastCompressor>>();

/**
 * The broadcast compressor for a server-side connection that agreed to `params`, or null when
 * its messages cannot share one (server context takeover: each needs its own compression).
 */
export function broadcastCompressorFor(setup: DeflateSetup, params: DeflateParams): BroadcastCompressor | null {
  if (!params.serverNoContextTakeover) return null;
  let byWindow = compressors.get(setup);
  if (byWindow === undefined) compressors.set(setup, (byWindow = new Map()));
  let compressor = byWindow.get(params.serverMaxWindowBits);
  if (compressor === undefined) {
    const codec = createMessageCodec(
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: params.serverMaxWindowBits, clientMaxWindowBits: 15 },
      'server',
      setup.settings,
    );
    compressor = { codec, threshold: setup.settings.threshold };
    byWindow.set(params.serverMaxWindowBits, compressor);
  }
  return compressor;
}
