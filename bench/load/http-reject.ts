// http-reject: plain HTTP GETs (no Upgrade header) to the WebSocket endpoint, driven by
// autocannon. Every answer must be a 4xx (ws says 426 Upgrade Required); any 2xx/5xx or socket
// error fails the scenario. This is the path a scanner or a misconfigured proxy hits.
import autocannon from 'autocannon';
import type { HttpRejectParams, LoadJob, LoadResult } from './job.js';
import { MeasureWindow } from './window.js';

interface AutocannonSummary {
  requests: { total: number };
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count: number }>;
}

export async function runHttpReject(job: LoadJob & { kind: 'http-reject' }): Promise<LoadResult> {
  const { connections } = job.params as HttpRejectParams;
  const url = `http://127.0.0.1:${job.port}/`;
  const run = (seconds: number): Promise<AutocannonSummary> =>
    new Promise((resolve, reject) => {
      autocannon({ url, connections, duration: seconds }, (error: Error | null, result: AutocannonSummary) =>
        error ? reject(error) : resolve(result),
      );
    });
  if (job.warmupMs > 0) await run(job.warmupMs / 1000);
  const window = new MeasureWindow(job.serverPid);
  window.start(0);
  const summary = await run(job.measureMs / 1000);
  const measured = window.end(summary.requests.total);
  const statuses = Object.keys(summary.statusCodeStats);
  const wrong = statuses.filter((status) => !status.startsWith('4'));
  if (summary.errors > 0 || summary.timeouts > 0) {
    return { ok: false, error: `${summary.errors} error(s), ${summary.timeouts} timeout(s)` };
  }
  if (wrong.length > 0 || statuses.length === 0) {
    return { ok: false, error: `expected only 4xx answers, got status(es) ${statuses.join(', ') || 'none'}` };
  }
  return { ok: true, ...measured, detail: { requests: measured.units, status: statuses.join(',') } };
}
