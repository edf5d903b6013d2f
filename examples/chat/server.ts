// `npm start`: the chat on http://localhost:8080 (PORT to change it). See README.md for the settings.
import { startChatServer } from './app.js';
import { configFromEnv } from './config.js';
import { wsmithTransport } from './wsmith-transport.js';

const config = configFromEnv();
const chat = await startChatServer(config, wsmithTransport);
console.log(`chat: ${chat.url}  (history ${config.redisUrl ? 'and presence in Redis' : `in ${config.dataDir}`})`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    chat.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
