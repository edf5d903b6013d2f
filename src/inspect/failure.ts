/**
 * Why a receiver fails a connection: each `ProtocolError` code with the RFC 6455 section of
 * the rule that was broken (§5.1 masking, §5.2 framing, §5.4 fragmentation, §5.5 control
 * frames, §7.4 close codes, §8.1 UTF-8), as `wsmith decode` and the trace print it.
 */
import type { ProtocolError, ProtocolErrorCode } from '../protocol/errors.js';

/** The RFC 6455 section behind each failure. */
export const ERROR_SECTIONS: Record<ProtocolErrorCode, string> = {
  WS_ERR_INVALID_OPCODE: '§5.2',
  WS_ERR_UNEXPECTED_RSV_1: '§5.2',
  WS_ERR_UNEXPECTED_RSV_2_3: '§5.2',
  WS_ERR_EXPECTED_FIN: '§5.5',
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: '§5.5',
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: '§5.2',
  WS_ERR_EXPECTED_MASK: '§5.1',
  WS_ERR_UNEXPECTED_MASK: '§5.1',
  WS_ERR_UNEXPECTED_CONTINUATION: '§5.4',
  WS_ERR_EXPECTED_CONTINUATION: '§5.4',
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: '§7.4.1',
  WS_ERR_INVALID_UTF8: '§8.1',
  WS_ERR_INVALID_CLOSE_CODE: '§7.4',
  WS_ERR_INVALID_CLOSE_PAYLOAD: '§5.5.1',
};

/** A protocol failure as inspection reports it. */
export interface DescribedError {
  /** The close code the receiver sends when it fails the connection (§7.1.7). */
  closeCode: number;
  code: ProtocolErrorCode;
  message: string;
  /** The RFC 6455 section of the rule that was broken, e.g. `§5.2`. */
  section: string;
}

export function describeError(error: ProtocolError): DescribedError {
  return {
    closeCode: error.closeCode,
    code: error.code,
    message: error.message,
    section: ERROR_SECTIONS[error.code] ?? '§7.1.7',
  };
}

/** `Reserved opcode 0x3 (WS_ERR_INVALID_OPCODE, RFC 6455 §5.2)`: the reason, its code and rule. */
export function formatReason(error: DescribedError): string {
  return `${error.message} (${error.code}, RFC 6455 ${error.section})`;
}
