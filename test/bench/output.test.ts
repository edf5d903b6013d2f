// Where a bench run writes: only the full run is the published one, kept in git in bench/results/;
// a quick or partial run during development goes to bench/results/local/, which git ignores.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BenchResults } from '../../bench/report/results.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN = path.join(ROOT, 'build', 'bench', 'run.js');
const PUBLISHED = path.join(ROOT, 'bench', 'results');
const LOCAL = path.join(PUBLISHED, 'local');

function digest(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

beforeAll(() => {
  // `npm test` builds first; a bare `vitest run test/bench` may not have.
  if (!existsSync(RUN)) execFileSync('npx', ['tsc', '-p', 'tsconfig.tools.json'], { cwd: ROOT, stdio: 'ignore' });
});

describe('bench output', () => {
  it('a tiny run without --out writes bench/results/local/ and leaves the published run alone', async () => {
    const published = ['latest.json', 'latest.md', 'latest.svg'].map((name) => path.join(PUBLISHED, name));
    const before = published.map(digest);
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, [RUN, '--tiny', '--only', 'micro-parse-small', '--targets', 'ws'], { cwd: ROOT, timeout: 60_000 }, (error) =>
        error === null ? resolve() : reject(error),
      );
    });
    expect(published.map(digest)).toEqual(before);
    const written = path.join(LOCAL, 'latest.json');
    expect(statSync(written).mtimeMs).toBeGreaterThanOrEqual(started - 1000);
    const results = JSON.parse(readFileSync(written, 'utf8')) as BenchResults;
    expect(results.rows.map((row) => `${row.scenario}/${row.target}`)).toEqual(['micro-parse-small/ws']);
    // And git ignores it: `git check-ignore` names the file.
    expect(execFileSync('git', ['check-ignore', written], { cwd: ROOT, encoding: 'utf8' }).trim()).toBe(written);
  }, 60_000);
});
