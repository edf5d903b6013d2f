// A chat server as its own process (`node build/examples/chat/server.js`, built by `npm test`), for the
// tests that need several of them over one Redis, or need to crash one (SIGKILL) or pause it (SIGSTOP).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const SERVER_JS = 'build/examples/chat/server.js';

export interface ChatProcess {
  port: number;
  /** http://127.0.0.1:<port>/ */
  url: string;
  /** ws://127.0.0.1:<port>/ws */
  wsUrl: string;
  /** SIGTERM: the chat closes its sockets with 1001 and removes its users from presence, then exits. */
  close(): Promise<void>;
  /** A crash: SIGKILL, no cleanup. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the process freezes, as under a long GC pause or a stopped VM, then goes on. */
  pause(): void;
  resume(): void;
  /** Everything it printed so far. */
  output(): string;
}

/** Starts a chat process on port 0 of 127.0.0.1 with `env` added, and waits until it listens. */
export async function startChatProcess(env: Record<string, string>): Promise<ChatProcess> {
  if (!existsSync(SERVER_JS)) throw new Error(`${SERVER_JS} is missing: run npm run build (npm test does)`);
  const child = spawn(process.execPath, [SERVER_JS], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chat process did not start:\n${output}`)), 10_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /chat: http:\/\/[^\s]+?:(\d+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`chat process exited with ${code}:\n${output}`)));
  });
  const stop = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGCONT'); // a paused process cannot handle SIGTERM
      child.kill(signal);
    });
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    close: () => stop('SIGTERM'),
    kill: () => stop('SIGKILL'),
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    output: () => output,
  };
}
