// A test fixture running in a child process, driven over IPC: it sends { port } once it listens,
// answers each request with a message of the type the caller waits for, and exits on { type: 'stop' }.
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { once } from 'node:events';

export class FixtureProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(file: string, args: string[], options: ForkOptions = {}): Promise<FixtureProcess> {
    const child = fork(file, args, { stdio: 'inherit', ...options });
    const [ready] = (await once(child, 'message')) as [{ port: number }];
    return new FixtureProcess(child, ready.port);
  }

  /** Send `message` and resolve with the first message of type `reply` that comes back. */
  request<T = unknown>(message: object, reply: string): Promise<T> {
    const answer = new Promise<T>((resolve) => {
      const listener = (incoming: { type: string }): void => {
        if (incoming.type !== reply) return;
        this.child.off('message', listener);
        resolve(incoming as T);
      };
      this.child.on('message', listener);
    });
    this.child.send(message);
    return answer;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'stop' });
    await exited;
  }
}
