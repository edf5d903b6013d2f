// The load client process: `node build/bench/client.js '<LoadJob as JSON>'`, forked by run.ts
// once per measurement so every target meets the same fresh client. It answers over IPC with
// { type: 'result', result } and exits.
import { runBroadcast } from './load/broadcast.js';
import { runConnectRate } from './load/connect-rate.js';
import { runEcho } from './load/echo.js';
import { runH2ConnectRate } from './load/h2-connect-rate.js';
import { runIdle } from './load/idle.js';
import type { ClientMessage, LoadJob, LoadResult } from './load/job.js';

async function run(job: LoadJob): Promise<LoadResult> {
  switch (job.kind) {
    case 'echo':
      return runEcho(job);
    case 'broadcast':
      return runBroadcast(job);
    case 'connect':
      return job.transport === 'h2' ? runH2ConnectRate(job) : runConnectRate(job);
    case 'idle':
      return runIdle(job);
    case 'http-reject':
      // autocannon (and its dependencies) load only for the scenario that uses it.
      return (await import('./load/http-reject.js')).runHttpReject(job);
  }
}

function report(result: LoadResult): void {
  const message: ClientMessage = { type: 'result', result };
  process.send?.(message, () => process.exit(0));
}

// A crash of the client is a failed measurement with a reason, never a silent exit.
process.on('uncaughtException', (error) => report({ ok: false, error: `load client crashed: ${error.stack ?? error}` }));

const job = JSON.parse(process.argv[2] ?? '{}') as LoadJob;
run(job)
  .catch((error: unknown): LoadResult => ({ ok: false, error: error instanceof Error ? error.message : String(error) }))
  .then(report);
