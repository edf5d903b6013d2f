// The Transport the chat tests run on, the most real one available:
//   1. wsmith's WebSocketServer and Hub (examples/chat/wsmith-transport.ts), once both are built;
//   2. wsmith's WebSocketServer with the stand-in hub, while the Hub (issue 5) is not there yet;
//   3. `ws` with the stand-in hub, before wsmith is built at all.
// The tests print which one ran.
import type { Transport } from '../../../../examples/chat/app.js';
import type { ChatSocket } from '../../../../examples/chat/chat.js';

export async function loadTransport(): Promise<{ name: string; transport: Transport<ChatSocket> }> {
  let wsmith: typeof import('../../../../examples/chat/wsmith-transport.js') | undefined;
  try {
    wsmith = await import('../../../../examples/chat/wsmith-transport.js');
  } catch {
    // dist/ is not built.
  }
  const { wsTransport, MiniHub } = await import('./ws-transport.js');
  if (wsmith?.hasHub) {
    return { name: 'wsmith (server and Hub)', transport: wsmith.wsmithTransport as unknown as Transport<ChatSocket> };
  }
  if (wsmith) {
    const transport: Transport<ChatSocket> = {
      endpoint: wsmith.wsmithTransport.endpoint as unknown as Transport<ChatSocket>['endpoint'],
      hub: ({ redis }) => new MiniHub<ChatSocket>(redis),
    };
    return { name: 'wsmith server + stand-in hub (wsmith Hub not built yet)', transport };
  }
  return { name: 'ws + stand-in hub (wsmith not built yet)', transport: wsTransport as unknown as Transport<ChatSocket> };
}
