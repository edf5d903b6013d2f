// The Hub calls the application's code: its adapter and its onAdapterError. Whatever that code
// does — throw, return no promise, reject, throw again in the error handler — nothing escapes to
// the caller of broadcast (often a socket's 'message' listener) or to the process.
import { afterEach, describe, expect, it } from 'vitest';
import WsClient from 'ws';
import { once } from 'node:events';
import { Hub, type HubAdapter } from '../../src/hub/index.js';
import { watchProcessFaults } from '../fault/support.js';
import { startHubServer, until, type HubServer } from './helpers.js';

let server: HubServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('Hub: application callbacks that fail', () => {
  it('an adapter that throws, returns nothing or rejects, and an onAdapterError that throws: counted, warned, never thrown', async () => {
    await watchProcessFaults(async (faults) => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error): void => void warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const adapter = {
          open() {},
          publish() {
            throw new Error('publish threw');
          },
          subscribe() {
            return undefined; // not a promise
          },
          unsubscribe() {
            return Promise.reject(new Error('unsubscribe rejected'));
          },
          close() {
            throw new Error('close threw');
          },
        } as unknown as HubAdapter;
        let handled = 0;
        server = await startHubServer({
          adapter,
          onAdapterError: () => {
            handled++;
            throw new Error('the handler threw too');
          },
        });
        const connected = server.nextConnection();
        const client = new WsClient(server.url);
        await once(client, 'open');
        const ws = await connected;
        // From a 'message' listener, as an application would.
        ws.on('message', (data) => server!.hub.broadcast(data.toString(), { room: 'lobby' }));
        expect(server.hub.join(ws, 'lobby')).toBe(true);
        const received = once(client, 'message');
        client.send('hello');
        expect(String((await received)[0])).toBe('hello');
        expect(() => server!.hub.broadcast('direct')).not.toThrow();
        expect(server.hub.leave(ws, 'lobby')).toBe(true); // the room empties: unsubscribe rejects
        await server.hub.close({ timeout: 200 });
        await until(() => handled >= 4);
        expect(server.hub.stats().adapterErrors).toBe(handled);
        await until(() => warnings.filter((w) => w.name === 'WsmithWarning').length >= 4);
        expect(faults).toEqual([]);
        client.terminate();
      } finally {
        process.removeListener('warning', onWarning);
      }
    });
  });

  it('a Hub without onAdapterError swallows adapter failures (counted in stats)', async () => {
    await watchProcessFaults(async (faults) => {
      const hub = new Hub({
        adapter: {
          open() {},
          publish: () => Promise.reject(new Error('broker gone')),
          subscribe: () => Promise.resolve(),
          unsubscribe: () => Promise.resolve(),
          close: () => Promise.resolve(),
        },
      });
      hub.broadcast('x');
      await until(() => hub.stats().adapterErrors === 1);
      await hub.close();
      expect(faults).toEqual([]);
    });
  });
});
