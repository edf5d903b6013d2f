/**
 * The Sec-WebSocket-Extensions header (RFC 6455 §9.1), with tokens and quoted-string from
 * RFC 7230 §3.2.6 and the list rules of §7:
 *
 *   Sec-WebSocket-Extensions = 1#extension          (OWS "," OWS between elements; empty ones ignored)
 *   extension       = extension-token *( OWS ";" OWS extension-param )
 *   extension-param = token [ OWS "=" OWS ( token / quoted-string ) ]
 *
 * §9.1: a quoted value must itself be a token once unescaped ("10" means 10). Names are kept
 * exactly as sent; parameters stay in order, duplicates included, so that the extension can
 * decline an offer that repeats one (RFC 7692 §5.1).
 *
 * Linear time on any input, by construction: one pass over the characters, each read once
 * (by the main loop, or by `readQuoted` for a quoted value, which the main loop then skips);
 * no regular expression, no backtracking. Each name or value is cut out once with `slice`, and a
 * quoted value with escapes is joined once from its pieces, so the strings built add up to at most
 * the input's length. (ws 3.3.1 and earlier spent quadratic time on hostile headers here.)
 */
import { isToken, isTokenChar, isWhitespace } from '../http-head.js';

/** One `name` or `name=value` parameter; a parameter without a value has the value `true`. */
export interface ExtensionParam {
  name: string;
  value: string | true;
}

/** One element of the list: an extension offered (in a request) or accepted (in a response). */
export interface ExtensionElement {
  name: string;
  params: ExtensionParam[];
}

const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

// Where the scanner is. Each state says what the next character may be.
const enum State {
  /** Before an element: OWS and empty elements (commas) are skipped. */
  ListStart,
  ExtensionName,
  /** After a name or a complete parameter: OWS, then ";", "," or the end. */
  AfterItem,
  /** After ";": OWS, then a parameter name. */
  ParamStart,
  ParamName,
  /** After a parameter name: OWS, then "=", ";", "," or the end. */
  AfterParamName,
  /** After "=": OWS, then a token or a quoted-string. */
  ValueStart,
  ValueToken,
  /** Not a place to be: what `afterItem` answers for a character that may not follow. */
  Invalid,
}

/**
 * Parse a Sec-WebSocket-Extensions value; several headers are joined with commas
 * (RFC 7230 §3.2.2). Returns the elements in order, or a message saying what is malformed.
 * An empty (or all-commas) value gives no elements.
 */
export function parseExtensionHeader(header: string | readonly string[]): ExtensionElement[] | string {
  const value = typeof header === 'string' ? header : header.join(', ');
  const elements: ExtensionElement[] = [];
  const length = value.length;
  let state = State.ListStart;
  let start = 0; // where the token or quoted content being read began
  let element: ExtensionElement | null = null;
  let paramName = '';

  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    switch (state) {
      case State.ListStart:
        if (isWhitespace(code) || code === COMMA) break;
        if (!isTokenChar(code)) return unexpected(value, i, 'an extension name');
        state = State.ExtensionName;
        start = i;
        break;
      case State.ExtensionName:
        if (isTokenChar(code)) break;
        element = { name: value.slice(start, i), params: [] };
        elements.push(element);
        state = afterItem(code);
        if (state === State.Invalid) return unexpected(value, i, '";", "," or the end');
        break;
      case State.AfterItem:
        state = afterItem(code);
        if (state === State.Invalid) return unexpected(value, i, '";", "," or the end');
        break;
      case State.ParamStart:
        if (isWhitespace(code)) break;
        if (!isTokenChar(code)) return unexpected(value, i, 'a parameter name');
        state = State.ParamName;
        start = i;
        break;
      case State.ParamName:
        if (isTokenChar(code)) break;
        paramName = value.slice(start, i);
        state = afterParamName(code, element!, paramName);
        if (state === State.Invalid) return unexpected(value, i, '"=", ";", "," or the end');
        break;
      case State.AfterParamName:
        state = afterParamName(code, element!, paramName);
        if (state === State.Invalid) return unexpected(value, i, '"=", ";", "," or the end');
        break;
      case State.ValueStart:
        if (isWhitespace(code)) break;
        if (code === DQUOTE) {
          const quoted = readQuoted(value, i + 1, paramName);
          if (typeof quoted === 'string') return quoted;
          element!.params.push({ name: paramName, value: quoted.text });
          i = quoted.end; // the closing quote
          state = State.AfterItem;
        } else if (isTokenChar(code)) {
          state = State.ValueToken;
          start = i;
        } else {
          return unexpected(value, i, 'a parameter value');
        }
        break;
      case State.ValueToken:
        if (isTokenChar(code)) break;
        element!.params.push({ name: paramName, value: value.slice(start, i) });
        state = afterItem(code);
        if (state === State.Invalid) return unexpected(value, i, '";", "," or the end');
        break;
    }
  }
  return finish(state, value, start, element, paramName, elements);
}

/** What the end of the input means in each state. */
function finish(
  state: State,
  value: string,
  start: number,
  element: ExtensionElement | null,
  paramName: string,
  elements: ExtensionElement[],
): ExtensionElement[] | string {
  switch (state) {
    case State.ExtensionName:
      elements.push({ name: value.slice(start), params: [] });
      break;
    case State.ParamName:
      element!.params.push({ name: value.slice(start), value: true });
      break;
    case State.AfterParamName:
      element!.params.push({ name: paramName, value: true });
      break;
    case State.ValueToken:
      element!.params.push({ name: paramName, value: value.slice(start) });
      break;
    case State.ParamStart:
      return 'expected a parameter name after ";" at the end of the header';
    case State.ValueStart:
      return `expected a value for parameter "${paramName}" after "=" at the end of the header`;
    case State.ListStart:
    case State.AfterItem:
    case State.Invalid:
      break;
  }
  return elements;
}

/**
 * A quoted-string value from just after its opening quote: the unescaped text, which §9.1 wants
 * to be a token, and the index of the closing quote. Each character is read once; the text is
 * cut out once, or joined once from its pieces when it has escapes (quoted-pair).
 */
function readQuoted(value: string, from: number, paramName: string): { text: string; end: number } | string {
  let pieces: string[] | null = null;
  let start = from;
  for (let i = from; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (isTokenChar(code)) continue;
    if (code === DQUOTE) {
      if (pieces === null) {
        if (i === from) return `empty quoted value for parameter "${paramName}" (RFC 6455 §9.1: it must be a token)`;
        return { text: value.slice(from, i), end: i };
      }
      pieces.push(value.slice(start, i));
      return { text: pieces.join(''), end: i };
    }
    if (code !== BACKSLASH) return notToken(value, i, paramName);
    // quoted-pair: the next character stands for itself, and must be a token character too.
    (pieces ??= []).push(value.slice(start, i));
    i++;
    if (i === value.length) break;
    if (!isTokenChar(value.charCodeAt(i))) return notToken(value, i, paramName);
    start = i;
  }
  return `unterminated quoted value for parameter "${paramName}"`;
}

/** After a parameter name: "=" starts its value; otherwise it has none and is complete. */
function afterParamName(code: number, element: ExtensionElement, paramName: string): State {
  if (code === EQUALS) return State.ValueStart;
  if (isWhitespace(code)) return State.AfterParamName;
  element.params.push({ name: paramName, value: true });
  return afterItem(code);
}

/** The state after a character that follows a name or a parameter: OWS, ";" or ",". */
function afterItem(code: number): State {
  if (code === SEMICOLON) return State.ParamStart;
  if (code === COMMA) return State.ListStart;
  return isWhitespace(code) ? State.AfterItem : State.Invalid;
}

function describeCharacter(code: number): string {
  if (code >= 0x21 && code <= 0x7e) return JSON.stringify(String.fromCharCode(code));
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

function unexpected(value: string, index: number, expected: string): string {
  return `unexpected ${describeCharacter(value.charCodeAt(index))} at position ${index}: expected ${expected}`;
}

function notToken(value: string, index: number, paramName: string): string {
  return (
    `${describeCharacter(value.charCodeAt(index))} at position ${index} in the quoted value of parameter ` +
    `"${paramName}": RFC 6455 §9.1 requires a token once unescaped`
  );
}

/**
 * Write elements as a Sec-WebSocket-Extensions value: `a; p; q=1, b`. Values are tokens (§9.1),
 * so they are written bare. Throws a TypeError for a name or value that is not a token.
 */
export function formatExtensionHeader(elements: readonly ExtensionElement[]): string {
  let header = '';
  for (let e = 0; e < elements.length; e++) {
    const element = elements[e];
    header += (e === 0 ? '' : ', ') + checkedToken(element.name, 'extension name');
    for (const param of element.params) {
      header += '; ' + checkedToken(param.name, 'parameter name');
      if (param.value !== true) header += '=' + checkedToken(param.value, `value of parameter "${param.name}"`);
    }
  }
  return header;
}

function checkedToken(text: string, what: string): string {
  if (isToken(text)) return text;
  throw new TypeError(text.length === 0 ? `The ${what} must be a token, not an empty string` : `The ${what} ${JSON.stringify(text)} is not a token`);
}
