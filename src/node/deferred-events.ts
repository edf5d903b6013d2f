/**
 * `ws`'s `allowSynchronousEvents: false`: every 'message', 'ping' and 'pong' is emitted in a turn
 * of the event loop of its own (setImmediate), as browsers queue one task per WebSocket event,
 * instead of all the events of one read in a row.
 *
 * After each event the protocol holds the next ones (Protocol.holdEvents): the frames behind it
 * wait, unparsed, in the protocol, and reading the socket waits too (isReadPaused). When its turn
 * comes the event is emitted and the protocol released, which parses up to the next event. TCP
 * ending meanwhile is handled once the frames received before it were delivered, so 'close'
 * comes after them, with the code of a Close frame among them.
 */
import type { Protocol } from '../protocol/protocol.js';

/** What the events need from their transport (socket-transport.ts, which owns them). */
interface EventTransport {
  readonly protocol: Protocol;
  onMessage(data: Buffer | Buffer[], isBinary: boolean): void;
  onPing(data: Buffer): void;
  onPong(data: Buffer): void;
  /** Parse on after an event, and write what that produced. */
  releaseEvents(): void;
  handleEnd(): void;
  handleClose(): void;
}

export const enum EventKind {
  Message,
  Ping,
  Pong,
}

function runTurn(events: DeferredEvents): void {
  events.run();
}

export class DeferredEvents {
  private readonly transport: EventTransport;
  private waiting = false;
  /** The deferred event is being emitted now: it must not defer itself again. */
  private emitting = false;
  private kind = EventKind.Message;
  private data: Buffer | Buffer[] | null = null;
  private isBinary = false;
  private endAfter = false;
  private closeAfter = false;

  constructor(transport: EventTransport) {
    this.transport = transport;
  }

  /**
   * An event to emit in its own turn (nothing more is delivered until then): true. False when
   * it is that turn: emit it now.
   */
  defer(kind: EventKind, data: Buffer | Buffer[], isBinary: boolean): boolean {
    if (this.emitting) return false;
    this.transport.protocol.holdEvents();
    this.waiting = true;
    this.kind = kind;
    this.data = data;
    this.isBinary = isBinary;
    setImmediate(runTurn, this);
    return true;
  }

  /** TCP ended ('end') or closed ('close'): true if that must wait for the events before it. */
  postpone(what: 'end' | 'close'): boolean {
    if (!this.waiting) return false;
    if (what === 'end') this.endAfter = true;
    else this.closeAfter = true;
    return true;
  }

  run(): void {
    const data = this.data!;
    this.data = null;
    this.waiting = false;
    const transport = this.transport;
    this.emitting = true;
    try {
      if (this.kind === EventKind.Message) transport.onMessage(data, this.isBinary);
      else if (this.kind === EventKind.Ping) transport.onPing(data as Buffer);
      else transport.onPong(data as Buffer);
    } finally {
      this.emitting = false;
    }
    // Parses up to the next event, which defers itself again.
    transport.releaseEvents();
    if (this.waiting) return;
    if (this.endAfter) {
      this.endAfter = false;
      transport.handleEnd();
    }
    if (this.closeAfter) {
      this.closeAfter = false;
      transport.handleClose();
    }
  }
}
