/**
 * `createWebSocketStream(ws, options)`: the Node.js streams API over a WebSocket, as `ws` offers
 * it. The Duplex reads the messages (text as strings in readable object mode, else Buffers) and
 * writes each chunk as a binary message.
 *
 * - Backpressure: a full readable buffer pauses the WebSocket (no more reads from the peer); the
 *   next read resumes it.
 * - Ending: `end()` starts the closing handshake and finishes once our side of TCP is finished;
 *   the WebSocket's 'close' ends the readable side.
 * - Errors and destroy: a WebSocket error destroys the Duplex with it (the WebSocket closes
 *   itself); destroying the Duplex terminates the WebSocket, and its 'close' comes once the
 *   WebSocket's has.
 */
import { Duplex, type DuplexOptions } from 'node:stream';
import { ReadyState } from '../protocol/protocol.js';
import { transportOf, type WebSocket } from './websocket.js';

function emitClose(duplex: Duplex): void {
  duplex.emit('close');
}

/** Both sides are done: nothing more will happen on this stream. */
function destroyOnEnd(this: Duplex): void {
  if (!this.destroyed && this.writableFinished) this.destroy();
}

/** Any error destroys the stream; with no other 'error' listener it still throws, as errors do. */
function destroyOnError(this: Duplex, error: Error): void {
  this.removeListener('error', destroyOnError);
  this.destroy();
  if (this.listenerCount('error') === 0) this.emit('error', error);
}

export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex {
  // An error the WebSocket reports closes it already (with a Close frame): do not cut it then.
  let terminateOnDestroy = true;
  const duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
  });

  ws.on('message', (data, isBinary) => {
    const chunk = !isBinary && duplex.readableObjectMode ? data.toString() : data;
    if (!duplex.push(chunk)) ws.pause();
  });
  ws.once('error', (error) => {
    if (duplex.destroyed) return;
    terminateOnDestroy = false;
    duplex.destroy(error);
  });
  ws.once('close', () => {
    if (!duplex.destroyed) duplex.push(null);
  });

  duplex._destroy = (error, callback) => {
    if (ws.readyState === ReadyState.Closed) {
      callback(error);
      process.nextTick(emitClose, duplex);
      return;
    }
    let called = false;
    ws.once('error', (wsError) => {
      called = true;
      callback(wsError);
    });
    ws.once('close', () => {
      if (!called) callback(error);
      process.nextTick(emitClose, duplex);
    });
    if (terminateOnDestroy) ws.terminate();
  };

  duplex._final = (callback) => {
    if (ws.readyState === ReadyState.Connecting) {
      ws.once('open', () => duplex._final!(callback));
      return;
    }
    const stream = transportOf(ws)?.stream;
    if (stream === undefined) return; // not a socket of ours: its 'error' destroys the Duplex
    if (stream.writableFinished) {
      callback();
      if (duplex.readableEnded) duplex.destroy();
      return;
    }
    // Our FIN follows the closing handshake; the readable side ends with the 'close' event.
    stream.once('finish', () => callback());
    ws.close();
  };

  duplex._read = () => {
    if (ws.isPaused) ws.resume();
  };

  duplex._write = (chunk: Buffer, _encoding, callback) => {
    if (ws.readyState === ReadyState.Connecting) {
      ws.once('open', () => duplex._write(chunk, _encoding, callback));
      return;
    }
    ws.send(chunk, callback);
  };

  duplex.on('end', destroyOnEnd);
  duplex.on('error', destroyOnError);
  return duplex;
}
