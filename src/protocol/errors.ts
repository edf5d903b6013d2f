/**
 * The one error type for protocol failures (RFC 6455 §7.1.7 "Fail the WebSocket Connection").
 * It carries the close code the failing side sends and a stable string code, so that callers can
 * switch on `error.code` without parsing messages (the same codes `ws` uses where it has one).
 */
export type ProtocolErrorCode =
  | 'WS_ERR_INVALID_OPCODE'
  | 'WS_ERR_UNEXPECTED_RSV_1'
  | 'WS_ERR_UNEXPECTED_RSV_2_3'
  | 'WS_ERR_EXPECTED_FIN'
  | 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'
  | 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'
  | 'WS_ERR_EXPECTED_MASK'
  | 'WS_ERR_UNEXPECTED_MASK'
  | 'WS_ERR_UNEXPECTED_CONTINUATION'
  | 'WS_ERR_EXPECTED_CONTINUATION'
  | 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
  | 'WS_ERR_TOO_MANY_BUFFERED_PARTS'
  | 'WS_ERR_INVALID_UTF8'
  | 'WS_ERR_INVALID_CLOSE_CODE'
  | 'WS_ERR_INVALID_CLOSE_PAYLOAD'
  | 'WS_ERR_INVALID_COMPRESSED_DATA'
  | 'WS_ERR_COMPRESSION_FAILED'
  /** More data frames in one message than `maxFragments` (1008; `ws`'s code for its own limit). */
  | 'WS_ERR_TOO_MANY_BUFFERED_PARTS'
  /** The I/O layer's limits (src/node/message-guard.ts, keepalive.ts), applied through `fail()`. */
  | 'WS_ERR_MESSAGE_TIMEOUT'
  | 'WS_ERR_MESSAGE_MEMORY'
  | 'WS_ERR_KEEPALIVE_TIMEOUT';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** The close code to send when failing the connection (1002, 1007, 1009 ...). */
  readonly closeCode: number;
  /** A stable identifier for the failure, e.g. `WS_ERR_INVALID_OPCODE`. */
  readonly code: ProtocolErrorCode;

  constructor(closeCode: number, code: ProtocolErrorCode, message: string) {
    super(message);
    this.closeCode = closeCode;
    this.code = code;
  }
}
