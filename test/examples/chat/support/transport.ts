// The Transport the chat tests run on: wsmith's own once its Hub is built (npm run build), else the
// `ws`-based stand-in. The test output says which one ran.
import type { Transport } from '../../../../examples/chat/app.js';
import type { ChatSocket } from '../../../../examples/chat/chat.js';

export async function loadTransport(): Promise<{ name: string; transport: Transport<ChatSocket> }> {
  try {
    const wsmith = (await import('wsmith')) as Record<string, unknown>;
    if (typeof wsmith.Hub === 'function' && typeof wsmith.WebSocketServer === 'function') {
      const module = await import('../../../../examples/chat/wsmith-transport.js');
      return { name: 'wsmith', transport: module.wsmithTransport as unknown as Transport<ChatSocket> };
    }
  } catch {
    // wsmith is not built yet.
  }
  const { wsTransport } = await import('./ws-transport.js');
  return { name: 'ws stand-in (wsmith Hub not built yet)', transport: wsTransport as unknown as Transport<ChatSocket> };
}
