/**
 * The browser-style side of `WebSocket`, as `ws` offers it: `addEventListener` and
 * `removeEventListener` for 'open', 'message', 'error' and 'close', the `onopen`, `onmessage`,
 * `onerror` and `onclose` attributes, and the event objects they receive (WHATWG HTML §9.3).
 *
 * Each listener is an EventEmitter listener that wraps the application's function or
 * `{ handleEvent }` object and builds the event from the emitter's arguments, so that both styles
 * see the same events in the same order.
 */
import type { EventEmitter } from 'node:events';

/** The event every listener gets: its type and the WebSocket it happened on. */
export class Event {
  readonly #type: string;
  readonly #target: unknown;

  constructor(type: string, target: unknown = null) {
    this.#type = type;
    this.#target = target;
  }

  get type(): string {
    return this.#type;
  }

  get target(): unknown {
    return this.#target;
  }
}

/** A 'message': text as a string, binary data as `binaryType` says. */
export class MessageEvent extends Event {
  readonly #data: unknown;

  constructor(type: string, target: unknown, data: unknown) {
    super(type, target);
    this.#data = data;
  }

  get data(): unknown {
    return this.#data;
  }
}

/** A 'close': the code and reason, and whether both Close frames were exchanged (RFC 6455 §7.1.5). */
export class CloseEvent extends Event {
  readonly #code: number;
  readonly #reason: string;
  readonly #wasClean: boolean;

  constructor(type: string, target: unknown, code: number, reason: string, wasClean: boolean) {
    super(type, target);
    this.#code = code;
    this.#reason = reason;
    this.#wasClean = wasClean;
  }

  get code(): number {
    return this.#code;
  }

  get reason(): string {
    return this.#reason;
  }

  get wasClean(): boolean {
    return this.#wasClean;
  }
}

/** An 'error': the error and its message. */
export class ErrorEvent extends Event {
  readonly #error: unknown;
  readonly #message: string;

  constructor(type: string, target: unknown, error: unknown, message: string) {
    super(type, target);
    this.#error = error;
    this.#message = message;
  }

  get error(): unknown {
    return this.#error;
  }

  get message(): string {
    return this.#message;
  }
}

// As in `ws` (and the DOM), the attributes are enumerable accessors on the prototypes.
for (const [proto, names] of [
  [Event.prototype, ['type', 'target']],
  [MessageEvent.prototype, ['data']],
  [CloseEvent.prototype, ['code', 'reason', 'wasClean']],
  [ErrorEvent.prototype, ['error', 'message']],
] as const) {
  for (const name of names) Object.defineProperty(proto, name, { enumerable: true });
}

/** The types `addEventListener` takes; any other type is ignored, as in `ws`. */
export type WebSocketEventType = 'open' | 'message' | 'error' | 'close';

/** A listener: a function (called with the WebSocket as `this`) or an object with `handleEvent`. */
export type EventListenerOf<E extends Event, Target> = ((this: Target, event: E) => void) | { handleEvent(event: E): void };

export interface AddEventListenerOptions {
  /** Remove the listener after its first call. */
  once?: boolean;
}

/** Where a WebSocket says whether both Close frames were exchanged (CloseEvent.wasClean). */
export const kClosedCleanly = Symbol('wsmith.closedCleanly');

/** What the events need from the WebSocket that is not in the emitter's arguments. */
interface EventSource extends EventEmitter {
  readonly [kClosedCleanly]: boolean;
}

/** The application's listener, and whether it is the one an `on…` attribute set. */
const kListener = Symbol('wsmith.listener');
const kAttribute = Symbol('wsmith.attribute');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's listener type
type Wrapper = ((...args: any[]) => void) & { [kListener]?: unknown; [kAttribute]?: boolean };

function call(listener: unknown, target: unknown, event: Event): void {
  if (typeof listener === 'function') (listener as (event: Event) => void).call(target, event);
  else (listener as { handleEvent(event: Event): void }).handleEvent(event);
}

/** The EventEmitter listener that turns the emitter's arguments into the event for `listener`. */
function wrap(type: WebSocketEventType, listener: unknown): Wrapper | null {
  switch (type) {
    case 'message':
      return function onMessage(this: EventSource, data: unknown, isBinary: boolean) {
        call(listener, this, new MessageEvent('message', this, isBinary ? data : String(data)));
      };
    case 'close':
      return function onClose(this: EventSource, code: number, reason: Buffer) {
        call(listener, this, new CloseEvent('close', this, code, reason.toString(), this[kClosedCleanly]));
      };
    case 'error':
      return function onError(this: EventSource, error: Error) {
        call(listener, this, new ErrorEvent('error', this, error, error.message));
      };
    case 'open':
      return function onOpen(this: EventSource) {
        call(listener, this, new Event('open', this));
      };
    default:
      return null;
  }
}

function isListener(listener: unknown): boolean {
  return typeof listener === 'function' || (typeof listener === 'object' && listener !== null);
}

/** `ws`'s addEventListener: the same listener is added once; `once` removes it after one call. */
export function addEventListener(
  source: EventEmitter,
  type: string,
  listener: unknown,
  options: AddEventListenerOptions = {},
  forAttribute = false,
): void {
  if (!isListener(listener)) return;
  if (!forAttribute) {
    for (const existing of source.listeners(type) as Wrapper[]) {
      if (existing[kListener] === listener && existing[kAttribute] !== true) return;
    }
  }
  const wrapper = wrap(type as WebSocketEventType, listener);
  if (wrapper === null) return;
  wrapper[kListener] = listener;
  wrapper[kAttribute] = forAttribute;
  if (options.once === true) source.once(type, wrapper);
  else source.on(type, wrapper);
}

/** `ws`'s removeEventListener: removes a listener `addEventListener` added (not an attribute's). */
export function removeEventListener(source: EventEmitter, type: string, listener: unknown): void {
  for (const existing of source.listeners(type) as Wrapper[]) {
    if (existing[kListener] === listener && existing[kAttribute] !== true) {
      source.removeListener(type, existing);
      return;
    }
  }
}

/** Define `onopen`, `onmessage`, `onerror` and `onclose` on a prototype, as `ws` does. */
export function defineEventAttributes(prototype: object): void {
  for (const type of ['open', 'error', 'close', 'message'] as const) {
    Object.defineProperty(prototype, `on${type}`, {
      enumerable: true,
      configurable: true,
      get(this: EventEmitter): unknown {
        for (const listener of this.listeners(type) as Wrapper[]) {
          if (listener[kAttribute] === true) return listener[kListener];
        }
        return null;
      },
      set(this: EventEmitter, handler: unknown): void {
        for (const listener of this.listeners(type) as Wrapper[]) {
          if (listener[kAttribute] === true) {
            this.removeListener(type, listener);
            break;
          }
        }
        if (typeof handler === 'function') addEventListener(this, type, handler, {}, true);
      },
    });
  }
}
