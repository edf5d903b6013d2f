// Child processes of the bench: a server per measurement, a load client per measurement, and a
// micro-benchmark process per target and round. All are node processes started through
// /bin/sh so the file-descriptor limit can be raised to the hard limit first (idle-memory holds
// 10,000 sockets on each side); `exec` keeps the pid, which is what /proc is read by.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientMessage, LoadJob, LoadResult, ParentMessage } from './load/job.js';
import type { MicroCase } from './micro.js';
import type { ServerRole } from './server.js';
import { TARGETS, type TargetName } from './targets.js';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

function spawnNode(nodeArgs: string[], env: Record<string, string>): ChildProcess {
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
  // Drop ws's switches from the inherited environment: only the target's own env decides.
  const inherited = { ...process.env };
  delete inherited.WS_NO_BUFFER_UTIL;
  delete inherited.WS_NO_UTF_8_VALIDATE;
  return spawn('/bin/sh', ['-c', script, 'sh', process.execPath, ...nodeArgs], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...inherited, ...env },
  });
}

function nextMessage<T extends { type: string }>(child: ChildProcess, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: T): void => done(null, message);
    const onExit = (code: number | null, signal: string | null): void =>
      done(new Error(`${what}: process exited (${signal ?? code}) before answering`));
    const done = (error: Error | null, message?: T): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message as T);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export interface ServerMemory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export class ServerProcess {
  notes: string[] = [];
  port = 0;
  private constructor(private readonly child: ChildProcess) {}

  get pid(): number {
    return this.child.pid ?? 0;
  }

  static async start(
    target: TargetName,
    role: ServerRole,
    nodeArgs: string[] = [],
    env: Record<string, string> = {},
  ): Promise<ServerProcess> {
    const child = spawnNode(['--expose-gc', ...nodeArgs, here('./server.js'), target, role], { ...TARGETS[target].env, ...env });
    const server = new ServerProcess(child);
    try {
      const ready = await nextMessage<
        { type: 'ready'; port: number; notes: string[] } | { type: 'failed'; error: string }
      >(child, 15_000, `${target} server`);
      if (ready.type === 'failed') throw new Error(`${target} server failed to start: ${ready.error}`);
      server.port = ready.port;
      server.notes = ready.notes;
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  async memory(): Promise<ServerMemory> {
    const reply = nextMessage<{ type: 'memory'; usage: ServerMemory }>(this.child, 15_000, 'server memory');
    this.child.send({ type: 'memory' });
    return (await reply).usage;
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.send({ type: 'stop' });
    await waitExit(this.child, 3000);
  }
}

/** Runs one load job in a fresh client process; `onHolding` serves idle-memory's checkpoints. */
export async function runClient(job: LoadJob, onHolding?: (connections: number) => Promise<void>): Promise<LoadResult> {
  const child = spawnNode([here('./client.js'), JSON.stringify(job)], {});
  const timeoutMs = job.warmupMs + job.measureMs + 120_000;
  try {
    return await new Promise<LoadResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load client: no result within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', (message: ClientMessage) => {
        if (message.type === 'result') {
          clearTimeout(timer);
          resolve(message.result);
        } else if (message.type === 'holding') {
          const reply: ParentMessage = { type: 'continue' };
          (onHolding ? onHolding(message.connections) : Promise.resolve()).then(
            () => child.send(reply),
            (error: unknown) => {
              clearTimeout(timer);
              reject(error);
            },
          );
        }
      });
      child.on('exit', (code, signal) => {
        // The last IPC message may still be queued behind 'exit': give it a moment.
        setTimeout(() => {
          clearTimeout(timer);
          reject(new Error(`load client exited (${signal ?? code}) without a result`));
        }, 500);
      });
    });
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await waitExit(child, 3000);
  }
}

export async function runMicro(
  target: TargetName,
  budgetMs: number,
  cases: string[],
): Promise<{ ok: true; cases: MicroCase[] } | { ok: false; error: string }> {
  const child = spawnNode([here('./micro.js'), target, String(budgetMs), cases.join(',')], TARGETS[target].env);
  try {
    const reply = await nextMessage<{ type: 'result'; cases: MicroCase[] } | { type: 'failed'; error: string }>(
      child,
      budgetMs * 2 * cases.length + 30_000,
      `${target} micro-benchmark`,
    );
    return reply.type === 'result' ? { ok: true, cases: reply.cases } : { ok: false, error: reply.error };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await waitExit(child, 3000);
  }
}
