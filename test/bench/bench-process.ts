// Runs `npm run bench` (build/bench/run.js) in tiny mode for the smoke tests, building the bench
// first if a bare `vitest run test/bench` finds it missing (`npm test` builds it).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResults } from '../../bench/report/results.js';
import { REQUIRE_PEERS, missingPeersError } from '../support/peers.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN = path.join(ROOT, 'build', 'bench', 'run.js');

export function buildBench(): void {
  if (!existsSync(RUN)) execFileSync('npx', ['tsc', '-p', 'tsconfig.tools.json'], { cwd: ROOT, stdio: 'ignore' });
}

export const wsmithBuilt = (): boolean => existsSync(path.join(ROOT, 'dist', 'index.js'));

/**
 * May the run include wsmith's targets (dist/ built)? On a developer's machine a bare vitest run
 * may go without them; under CI=true or WSMITH_REQUIRE_PEERS=1 a missing build fails instead.
 */
export function wsmithTargets(): boolean {
  if (wsmithBuilt()) return true;
  if (REQUIRE_PEERS) throw missingPeersError(['the built dist/ (npm run build)']);
  return false;
}

export interface BenchRun {
  code: number;
  stdout: string;
  results: BenchResults;
}

/** `run.js --tiny --out dir ...args`: its exit code, what it printed and the latest.json it wrote. */
export function bench(args: string[], dir: string): Promise<BenchRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [RUN, '--tiny', '--out', dir, ...args], { timeout: 60_000 }, (error, stdout) => {
      const results = JSON.parse(readFileSync(path.join(dir, 'latest.json'), 'utf8')) as BenchResults;
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, results });
    });
  });
}
