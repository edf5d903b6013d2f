import { ReadyState } from '../protocol/protocol.js';

/** The error for a send on a connection that is not open (`ws`'s words). */
export function notOpenError(state: ReadyState): Error {
  const name = ReadyState[state].toUpperCase();
  return Object.assign(new Error(`WebSocket is not open: readyState ${state} (${name})`), {
    code: 'WS_ERR_NOT_OPEN',
  });
}
