// The chat's JSON protocol (documented in README.md): every frame is one JSON object with a `type`.
// This module only parses and validates; it never touches sockets, so every rule is testable alone.

export const Limits = {
  nick: 32,
  room: 64,
  text: 2000,
} as const;

/** A join's `key`: a secret the client keeps, so a later join can prove it is the same user. */
export const KEY_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** Messages a client may send. */
export type ClientMessage =
  | { type: 'join'; room: string; nick: string; key?: string }
  | { type: 'leave'; room: string }
  | { type: 'message'; room: string; text: string }
  | { type: 'typing'; room: string; to?: string }
  | { type: 'private'; room: string; to: string; text: string }
  | { type: 'rooms' };

export interface Member {
  id: string;
  nick: string;
}

export interface ChatLine {
  room: string;
  from: string;
  text: string;
  ts: number;
}

export interface SystemLine {
  room: string;
  text: string;
  ts: number;
}

export interface PrivateLine extends ChatLine {
  to: string;
}

/** One line of a room's log as a client sees it, live or in the history sent on join. */
export type LogEntry =
  | ({ type: 'message' } & ChatLine)
  | ({ type: 'system' } & SystemLine)
  | ({ type: 'private' } & PrivateLine);

export interface RoomCount {
  name: string;
  count: number;
}

/** Messages the server sends. */
export type ServerMessage =
  | { type: 'welcome'; id: string; typingTimeoutMs: number; limits: typeof Limits }
  | { type: 'joined'; room: string; nick: string; members: Member[]; history: LogEntry[] }
  | { type: 'left'; room: string }
  | { type: 'presence'; room: string; members: Member[] }
  | LogEntry
  | { type: 'typing'; room: string; nick: string; to?: string }
  | { type: 'rooms'; rooms: RoomCount[] }
  | { type: 'error'; code: ErrorCode; message: string };

export type ErrorCode =
  // Malformed input: each one counts as a strike towards close 1008.
  | 'bad_json'
  | 'bad_message'
  | 'unknown_type'
  | 'invalid_field'
  | 'binary_unsupported'
  // Well-formed but refused: no strike.
  | 'nick_taken'
  | 'not_in_room'
  | 'no_such_user'
  | 'too_many_rooms'
  | 'rate_limited';

export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: ErrorCode; message: string };

const fail = (code: ErrorCode, message: string): ParseResult => ({ ok: false, code, message });

// C0 controls and DEL; names must be printable, text may also hold newlines and tabs.
const NAME_FORBIDDEN = /[\u0000-\u001f\u007f]/;
const TEXT_FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f]/;

type FieldCheck = { value: string } | { error: string };

function field(obj: Record<string, unknown>, name: string, max: number, forbidden: RegExp): FieldCheck {
  const raw = obj[name];
  if (typeof raw !== 'string') return { error: `"${name}" must be a string` };
  const value = forbidden === NAME_FORBIDDEN ? raw.trim() : raw;
  if (value.length === 0) return { error: `"${name}" must not be empty` };
  if (value.length > max) return { error: `"${name}" is longer than ${max} characters` };
  if (forbidden.test(value)) return { error: `"${name}" contains control characters` };
  return { value };
}

/** Parses one text frame from a client. Never throws. */
export function parseClientMessage(text: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('bad_json', 'message is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('bad_message', 'message must be a JSON object');
  }
  const obj = json as Record<string, unknown>;
  if (typeof obj.type !== 'string') return fail('bad_message', 'message needs a string "type"');

  const fields: Record<string, string> = {};
  let problem = '';
  const need = (name: string, max: number, forbidden = NAME_FORBIDDEN): boolean => {
    const checked = field(obj, name, max, forbidden);
    if ('error' in checked) {
      problem = checked.error;
      return false;
    }
    fields[name] = checked.value;
    return true;
  };
  const invalid = () => fail('invalid_field', problem);
  /** An optional name field: absent is fine, present must be valid. */
  const maybe = (name: string, max: number): boolean => obj[name] === undefined || need(name, max);

  switch (obj.type) {
    case 'join': {
      if (!need('room', Limits.room) || !need('nick', Limits.nick)) return invalid();
      const key = obj.key;
      if (key !== undefined && (typeof key !== 'string' || !KEY_PATTERN.test(key))) {
        return fail('invalid_field', '"key" must be 16 to 128 characters of A-Z, a-z, 0-9, _ and -');
      }
      const join = { type: 'join', room: fields.room, nick: fields.nick } as const;
      return { ok: true, message: key === undefined ? join : { ...join, key } };
    }
    case 'leave':
      if (!need('room', Limits.room)) return invalid();
      return { ok: true, message: { type: 'leave', room: fields.room } };
    case 'message':
      if (!need('room', Limits.room) || !need('text', Limits.text, TEXT_FORBIDDEN)) return invalid();
      return { ok: true, message: { type: 'message', room: fields.room, text: fields.text } };
    case 'typing':
      if (!need('room', Limits.room) || !maybe('to', Limits.nick)) return invalid();
      return {
        ok: true,
        message: fields.to === undefined ? { type: 'typing', room: fields.room } : { type: 'typing', room: fields.room, to: fields.to },
      };
    case 'private':
      if (!need('room', Limits.room) || !need('to', Limits.nick) || !need('text', Limits.text, TEXT_FORBIDDEN)) {
        return invalid();
      }
      return { ok: true, message: { type: 'private', room: fields.room, to: fields.to, text: fields.text } };
    case 'rooms':
      return { ok: true, message: { type: 'rooms' } };
    default:
      return fail('unknown_type', `unknown message type ${JSON.stringify(obj.type.slice(0, 32))}`);
  }
}

/** Errors caused by malformed input (as opposed to a refused but well-formed request). */
export function isStrike(code: ErrorCode): boolean {
  return (
    code === 'bad_json' ||
    code === 'bad_message' ||
    code === 'unknown_type' ||
    code === 'invalid_field' ||
    code === 'binary_unsupported'
  );
}

export function encode(message: ServerMessage): string {
  return JSON.stringify(message);
}
