/**
 * permessage-deflate against ws's own implementation (lib/permessage-deflate.js and
 * lib/extension.js, loaded from the dev dependency): the offers and answers each side builds are
 * accepted by the other, and messages compressed by one inflate in the other, with and without
 * context takeover. No sockets: the negotiation is pure, the codecs are driven directly.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMessageCodec } from '../../src/node/deflate/zlib-codec.js';
import { normalizePerMessageDeflate, type PerMessageDeflateOptions } from '../../src/protocol/extensions/deflate-options.js';
import { parseExtensionHeader } from '../../src/protocol/extensions/extension-header.js';
import type { MessageCodec } from '../../src/protocol/extensions/message-codec.js';
import {
  acceptDeflateResponse,
  buildDeflateOffer,
  negotiateDeflateAsServer,
  type DeflateParams,
} from '../../src/protocol/extensions/permessage-deflate.js';

type WsParams = Record<string, string | number | true>;
interface WsPerMessageDeflate {
  offer(): WsParams;
  accept(configurations: Array<Record<string, Array<string | true>>>): WsParams;
  compress(data: Buffer, fin: boolean, callback: (error: Error | null, result: Buffer) => void): void;
  decompress(data: Buffer, fin: boolean, callback: (error: Error | null, result: Buffer) => void): void;
  cleanup(): void;
}
type WsPerMessageDeflateClass = new (options: Record<string, unknown> & { isServer: boolean }) => WsPerMessageDeflate;
interface WsExtension {
  parse(header: string): Record<string, Array<Record<string, Array<string | true>>>>;
  format(extensions: Record<string, WsParams | WsParams[]>): string;
}

// ws exports only its entry point; its lib/ files are loaded by path.
const require = createRequire(import.meta.url);
const wsLib = path.join(path.dirname(require.resolve('ws')), 'lib');
const WsPerMessageDeflate = require(path.join(wsLib, 'permessage-deflate.js')) as WsPerMessageDeflateClass;
const wsExtension = require(path.join(wsLib, 'extension.js')) as WsExtension;

const wsOptions: Array<Record<string, unknown>> = [
  {},
  { serverNoContextTakeover: true },
  { clientNoContextTakeover: true },
  { serverMaxWindowBits: 10 },
  { clientMaxWindowBits: 11 },
  { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 9 },
];
const ourOptions: PerMessageDeflateOptions[] = [
  {},
  { serverNoContextTakeover: false, clientNoContextTakeover: false },
  { serverMaxWindowBits: 10 },
  { clientMaxWindowBits: 12 },
  { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 9, clientMaxWindowBits: 13 },
];

function wsCompress(ws: WsPerMessageDeflate, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => ws.compress(data, true, (error, result) => (error ? reject(error) : resolve(result))));
}
function wsDecompress(ws: WsPerMessageDeflate, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => ws.decompress(data, true, (error, result) => (error ? reject(error) : resolve(result))));
}
function ourCompress(codec: MessageCodec, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => codec.compress(data, (error, result) => (error ? reject(error) : resolve(result))));
}
function ourDecompress(codec: MessageCodec, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    codec.decompress(data, 1 << 24, (result) => (result.ok ? resolve(result.data) : reject(new Error(result.message)))),
  );
}

/** Messages that repeat each other, so that a shared window (takeover) changes the bytes. */
const messages = [0, 5, 900, 3000, 70_000, 900, 3000].map((size, i) => Buffer.alloc(size, `message ${i % 4} of a chat; `));

async function exchange(ws: WsPerMessageDeflate, ours: MessageCodec): Promise<void> {
  for (const message of messages) {
    expect((await ourDecompress(ours, await wsCompress(ws, message))).equals(message)).toBe(true);
    expect((await wsDecompress(ws, await ourCompress(ours, message))).equals(message)).toBe(true);
  }
}

describe('permessage-deflate with ws', () => {
  it('a ws client and a wsmith server agree, and exchange messages', async () => {
    for (const clientOption of wsOptions) {
      for (const serverOption of ourOptions) {
        const label = `ws client ${JSON.stringify(clientOption)}, wsmith server ${JSON.stringify(serverOption)}`;
        const wsClient = new WsPerMessageDeflate({ ...clientOption, isServer: false });
        const offer = wsExtension.format({ 'permessage-deflate': wsClient.offer() });
        const offers = parseExtensionHeader(offer);
        if (typeof offers === 'string') throw new Error(offers);
        const settings = normalizePerMessageDeflate(serverOption, 'server')!;
        const agreement = negotiateDeflateAsServer(offers, settings);
        expect(agreement, label).not.toBeNull();
        wsClient.accept(wsExtension.parse(agreement!.response)['permessage-deflate']);
        const ours = createMessageCodec(agreement!.params, 'server', settings);
        await exchange(wsClient, ours);
        ours.dispose();
        wsClient.cleanup();
      }
    }
  });

  it('a wsmith client and a ws server agree, and exchange messages', async () => {
    let declined = 0;
    for (const clientOption of ourOptions) {
      for (const serverOption of wsOptions) {
        const label = `wsmith client ${JSON.stringify(clientOption)}, ws server ${JSON.stringify(serverOption)}`;
        const settings = normalizePerMessageDeflate(clientOption, 'client')!;
        const wsServer = new WsPerMessageDeflate({ ...serverOption, isServer: true });
        let answer: string;
        try {
          answer = wsExtension.format({ 'permessage-deflate': wsServer.accept(wsExtension.parse(buildDeflateOffer(settings))['permessage-deflate']) });
        } catch {
          // ws declines an offer whose server_max_window_bits is below its own setting.
          expect(clientOption.serverMaxWindowBits, label).toBeLessThan(serverOption.serverMaxWindowBits as number);
          declined++;
          continue;
        }
        const params = acceptDeflateResponse(answer, settings);
        expect(typeof params, `${label}: ${String(params)}`).toBe('object');
        const ours = createMessageCodec(params as DeflateParams, 'client', settings);
        await exchange(wsServer, ours);
        ours.dispose();
        wsServer.cleanup();
      }
    }
    expect(declined).toBe(3); // 10 < 12, 9 < 10, 9 < 12: every other pair agreed
  });
});
