// The Transport the chat tests run on: wsmith's WebSocketServer and Hub (examples/chat/wsmith-transport.ts)
// when dist/ is built, as `npm test` does first; otherwise `ws` with a stand-in hub, so the chat's own
// rules can still be checked. The tests print which one ran.
import type { Transport } from '../../../../examples/chat/app.js';
import type { ChatSocket } from '../../../../examples/chat/chat.js';

export async function loadTransport(): Promise<{ name: string; transport: Transport<ChatSocket> }> {
  try {
    const { wsmithTransport } = await import('../../../../examples/chat/wsmith-transport.js');
    return { name: 'wsmith', transport: wsmithTransport as unknown as Transport<ChatSocket> };
  } catch (error) {
    const { wsTransport } = await import('./ws-transport.js');
    const why = (error as Error).message.split('\n')[0];
    return { name: `ws + stand-in hub (wsmith not built: ${why})`, transport: wsTransport as unknown as Transport<ChatSocket> };
  }
}
