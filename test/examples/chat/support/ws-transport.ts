// A minimal stand-in hub (and a Transport on `ws`), used only while wsmith's Hub (issue 5) is not built
// yet. It follows the Hub contract closely enough for the chat: rooms, broadcast with except, sendTo
// across nodes through Redis pub/sub. transport.ts picks wsmith's real Hub as soon as it exists.
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FullHub, HubSettings, Transport } from '../../../../examples/chat/app.js';
import type { ChatSocket } from '../../../../examples/chat/chat.js';

interface Envelope {
  node: string;
  room?: string;
  except?: string;
  to?: string;
  data: string;
}

export class MiniHub<S extends ChatSocket> implements FullHub<S> {
  private readonly node = randomUUID();
  private readonly byId = new Map<string, S>();
  private readonly ids = new Map<S, string>();
  private readonly roomsOf = new Map<S, Set<string>>();
  private readonly rooms = new Map<string, Set<S>>();
  private readonly channel: string;

  constructor(private readonly redis?: HubSettings['redis']) {
    this.channel = `${redis?.prefix ?? ''}bus`;
    if (redis) {
      void redis.subscriber.subscribe(this.channel);
      redis.subscriber.on('message', (_channel: string, raw: string) => {
        const envelope = JSON.parse(raw) as Envelope;
        if (envelope.node !== this.node) this.deliver(envelope);
      });
    }
  }

  add(socket: S, options: { id?: string } = {}): string {
    const id = options.id ?? randomUUID();
    this.byId.set(id, socket);
    this.ids.set(socket, id);
    this.roomsOf.set(socket, new Set());
    socket.on('close', () => {
      for (const room of this.roomsOf.get(socket) ?? []) this.leave(socket, room);
      this.byId.delete(id);
      this.ids.delete(socket);
      this.roomsOf.delete(socket);
    });
    return id;
  }

  join(socket: S, room: string): void {
    let members = this.rooms.get(room);
    if (!members) this.rooms.set(room, (members = new Set()));
    members.add(socket);
    this.roomsOf.get(socket)?.add(room);
  }

  leave(socket: S, room: string): void {
    const members = this.rooms.get(room);
    members?.delete(socket);
    if (members?.size === 0) this.rooms.delete(room);
    this.roomsOf.get(socket)?.delete(room);
  }

  broadcast(data: string, options: { room?: string; except?: S | string } = {}): void {
    const except = typeof options.except === 'string' ? options.except : options.except && this.ids.get(options.except);
    const envelope: Envelope = { node: this.node, room: options.room, except, data };
    this.deliver(envelope);
    void this.redis?.publisher.publish(this.channel, JSON.stringify(envelope));
  }

  sendTo(id: string, data: string): void {
    const local = this.byId.get(id);
    if (local) local.send(data);
    else void this.redis?.publisher.publish(this.channel, JSON.stringify({ node: this.node, to: id, data }));
  }

  stats(): object {
    return { sockets: this.byId.size, rooms: this.rooms.size };
  }

  async close(options: { code?: number; reason?: string } = {}): Promise<void> {
    const closed = [...this.byId.values()].map(
      (socket) => new Promise<void>((resolve) => {
        socket.on('close', () => resolve());
        socket.close(options.code ?? 1001, options.reason);
      }),
    );
    await Promise.all(closed);
    if (this.redis) await this.redis.subscriber.unsubscribe(this.channel);
  }

  private deliver(envelope: Envelope): void {
    if (envelope.to !== undefined) {
      this.byId.get(envelope.to)?.send(envelope.data);
      return;
    }
    const targets = envelope.room === undefined ? this.byId.values() : (this.rooms.get(envelope.room) ?? []);
    for (const socket of targets) if (this.ids.get(socket) !== envelope.except) socket.send(envelope.data);
  }
}

export const wsTransport: Transport<WebSocket> = {
  endpoint({ server, path, maxPayload, verify, selectProtocol, onConnection }) {
    const wss = new WebSocketServer({
      server,
      path,
      maxPayload,
      verifyClient: (info, done) => {
        const verdict = verify(info.req);
        if (verdict === true) done(true);
        else done(false, verdict.status, verdict.reason);
      },
      handleProtocols: (protocols) => selectProtocol(protocols),
    });
    wss.on('connection', (socket) => onConnection(socket));
    return { close: () => new Promise<void>((resolve) => wss.close(() => resolve())) };
  },
  hub: ({ redis }) => new MiniHub<WebSocket>(redis),
};
