/**
 * The fast path of the handshake: wsmith opens the connection, writes the §4.1 request and reads
 * the response itself (src/protocol/client-protocol.ts), with no node:http parser in between.
 * The dialer takes it whenever nothing asks for node:http's objects (see client.ts).
 */
import type { Duplex } from 'node:stream';
import type { ClientRequestOptions, ResponseHead } from '../protocol/client-handshake.js';
import type { ClientProtocol } from '../protocol/client-protocol.js';
import { TransportHop, hangUpError, type HopOwner } from './client-hop.js';
import { incomingMessageOf } from './client-response.js';
import { openStream } from './client-stream.js';
import { SocketTransport } from './socket-transport.js';

export class RawHop extends TransportHop {
  private readonly request: ClientRequestOptions;

  /** Throws what opening the connection throws synchronously. */
  constructor(owner: HopOwner, request: ClientRequestOptions) {
    super(owner);
    this.request = request;
    openStream(request.target, owner.options, (error, stream) => {
      if (error !== null || stream === undefined) {
        if (!this.aborted) owner.failed(error ?? hangUpError());
      } else if (this.aborted) {
        stream.destroy();
      } else {
        this.start(stream);
      }
    });
  }

  private start(stream: Duplex): void {
    const transport = new SocketTransport(stream, this.owner.protocolFor(this.request), this);
    this.transport = transport;
    (transport.protocol as ClientProtocol).connect();
    // Written once connected (net and tls buffer writes made before that).
    transport.flush();
  }

  onHandshakeFailure(error: Error, response: ResponseHead | null): void {
    if (response === null) {
      this.owner.failed(error);
    } else if (response.statusCode === 101) {
      // ws emits 'upgrade' for any 101, before checking it.
      if (this.owner.upgraded(() => incomingMessageOf(response, this.transport!.stream))) this.owner.failed(error);
    } else {
      this.owner.responded(response.statusCode, response.headers.location, null);
    }
  }
}
