/**
 * Why a receiver fails a connection: each `ProtocolError` code with the RFC 6455 section of
 * the rule that was broken (§5.1 masking, §5.2 framing, §5.4 fragmentation, §5.5 control
 * frames, §7.4 close codes, §8.1 UTF-8), as `wsmith decode` and the trace print it.
 */
import type { ProtocolError, ProtocolErrorCode } from '../protocol/errors.js';

/** The RFC and section behind each failure (RFC 6455, or RFC 7692 for permessage-deflate). */
export const ERROR_SECTIONS: Record<ProtocolErrorCode, string> = {
  WS_ERR_INVALID_OPCODE: 'RFC 6455 §5.2',
  WS_ERR_UNEXPECTED_RSV_1: 'RFC 6455 §5.2',
  WS_ERR_UNEXPECTED_RSV_2_3: 'RFC 6455 §5.2',
  WS_ERR_EXPECTED_FIN: 'RFC 6455 §5.5',
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: 'RFC 6455 §5.5',
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 'RFC 6455 §5.2',
  WS_ERR_EXPECTED_MASK: 'RFC 6455 §5.1',
  WS_ERR_UNEXPECTED_MASK: 'RFC 6455 §5.1',
  WS_ERR_UNEXPECTED_CONTINUATION: 'RFC 6455 §5.4',
  WS_ERR_EXPECTED_CONTINUATION: 'RFC 6455 §5.4',
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 'RFC 6455 §7.4.1',
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 'RFC 6455 §10.4',
  WS_ERR_INVALID_UTF8: 'RFC 6455 §8.1',
  WS_ERR_INVALID_CLOSE_CODE: 'RFC 6455 §7.4',
  WS_ERR_INVALID_CLOSE_PAYLOAD: 'RFC 6455 §5.5.1',
  WS_ERR_INVALID_COMPRESSED_DATA: 'RFC 7692 §7.2.2',
  WS_ERR_COMPRESSION_FAILED: 'RFC 7692 §7.2.1',
  WS_ERR_MESSAGE_TIMEOUT: 'RFC 6455 §10.4',
  WS_ERR_MESSAGE_MEMORY: 'RFC 6455 §10.4',
  WS_ERR_KEEPALIVE_TIMEOUT: 'RFC 6455 §5.5.2',
};

/** A protocol failure as inspection reports it. */
export interface DescribedError {
  /** The close code the receiver sends when it fails the connection (§7.1.7). */
  closeCode: number;
  code: ProtocolErrorCode;
  message: string;
  /** The RFC and section of the rule that was broken, e.g. `RFC 6455 §5.2`. */
  section: string;
}

export function describeError(error: ProtocolError): DescribedError {
  return {
    closeCode: error.closeCode,
    code: error.code,
    message: error.message,
    section: ERROR_SECTIONS[error.code] ?? 'RFC 6455 §7.1.7',
  };
}

/** `Reserved opcode 0x3 (WS_ERR_INVALID_OPCODE, RFC 6455 §5.2)`: the reason, its code and rule. */
export function formatReason(error: DescribedError): string {
  return `${error.message} (${error.code}, ${error.section})`;
}
