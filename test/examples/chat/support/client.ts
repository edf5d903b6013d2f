// A test client for the chat: wsmith's own WebSocket client, recording every message so a test can wait
// for the one it expects, in order, without sleeping.
import { WebSocket } from 'wsmith';

export type Json = Record<string, unknown> & { type: string };

export class ChatClient {
  readonly messages: Json[] = [];
  private taken = 0;
  private waiters: (() => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as Json);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code: number, reason: Buffer) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  static open(url: string, options: { protocols?: string[]; origin?: string } = {}): Promise<ChatClient> {
    const socket = new WebSocket(url, options.protocols ?? [], options.origin ? { origin: options.origin } : {});
    const client = new ChatClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  /** Opens and waits for the welcome; returns the client and its id. */
  static async connect(url: string, options: { protocols?: string[]; origin?: string } = {}): Promise<ChatClient> {
    const client = await ChatClient.open(url, options);
    await client.next('welcome');
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * The next message (after those already returned by next) that has `type` and matches `where`;
   * messages skipped on the way stay in `messages` for inspection.
   */
  async next(type: string, where: (m: Json) => boolean = () => true, timeoutMs = 3000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.taken; i < this.messages.length; i++) {
        const message = this.messages[i];
        if (message.type === type && where(message)) {
          this.taken = i + 1;
          return message;
        }
      }
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error(`closed while waiting for "${type}"`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no "${type}" message; got ${JSON.stringify(this.messages.slice(this.taken))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async join(room: string, nick: string): Promise<Json> {
    this.send({ type: 'join', room, nick });
    return this.next('joined', (m) => m.room === room);
  }

  all(type: string): Json[] {
    return this.messages.filter((m) => m.type === type);
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }
}

/** The HTTP status a handshake is refused with (or 101 when it is accepted). */
export function handshakeStatus(url: string, options: { protocols?: string[]; origin?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? [], options.origin ? { origin: options.origin } : {});
    // As with ws: the listener takes the response and ends the handshake itself.
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.close();
    });
    socket.once('error', (error) => {
      if (!('statusCode' in error)) reject(error);
    });
  });
}
