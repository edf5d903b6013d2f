/**
 * `wsmith/protocol`: the sans-I/O core (RFC 6455, RFC 7692), to drive from any runtime. One
 * object per connection owns its whole life: feed it bytes with `receiveData`, hear its events
 * through the handler, write what `dataToSend` returns, close TCP when `closeTransport` says so
 * (RFC 6455 §7.1.1). Nothing here opens a socket or starts a timer.
 */
export { Protocol, ReadyState, DEFAULT_MAX_PAYLOAD } from './protocol.js';
export type { ProtocolHandler, ProtocolOptions, ReceiveOptions, Role, CompressionSetup } from './protocol.js';
export { ServerProtocol, MAX_REQUEST_HEAD_SIZE } from './server-protocol.js';
export type {
  ServerProtocolHandler,
  HandshakeRequest,
  HandshakeOffer,
  AcceptOptions,
} from './server-protocol.js';
export { ClientProtocol } from './client-protocol.js';
export type { ClientProtocolHandler, ClientProtocolOptions, ExtensionOffering } from './client-protocol.js';
export { parseWebSocketUrl, resolveRedirect, isRedirect } from './client-url.js';
export type { WebSocketTarget } from './client-url.js';
export {
  generateKey,
  normalizeProtocols,
  buildClientRequest,
  clientRequestHeaders,
  validateUpgradeResponse,
  ResponseHeadReader,
} from './client-handshake.js';
export type { ClientRequestOptions, ClientHeaders, RequestHeader, ResponseHead } from './client-handshake.js';
export {
  computeAcceptKey,
  validateUpgradeRequest,
  buildAcceptResponse,
  acceptResponseLines,
  joinResponseLines,
  WEBSOCKET_GUID,
  WEBSOCKET_VERSION,
} from './server-handshake.js';
export type { UpgradeRequest, UpgradeValidation } from './server-handshake.js';
export { parseExtensionHeader, formatExtensionHeader } from './extensions/extension-header.js';
export type { ExtensionElement, ExtensionParam } from './extensions/extension-header.js';
export { HttpHeadReader, buildRejectResponse, parseRequestLine } from './http-head.js';
export type { OutgoingHeaders } from './http-head.js';
export { Opcode, encodeFrame, isControlOpcode, MAX_CONTROL_PAYLOAD } from './frame.js';
export type { FrameHeader } from './frame.js';
export { FrameParser } from './parser.js';
export type { FrameSink, FrameParserOptions } from './parser.js';
export { CloseCode, isValidCloseCode, encodeClosePayload, decodeClosePayload } from './close.js';
export { ProtocolError } from './errors.js';
export type { ProtocolErrorCode } from './errors.js';
export { applyMask } from './mask.js';
export type { MaskKeySource } from './outbox.js';
export type { MessageCodec, InflateResult } from './extensions/message-codec.js';
