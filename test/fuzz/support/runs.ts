// How many cases each fuzz target runs: a short pass in `npm test`, long ones in `npm run fuzz`
// (WSMITH_FUZZ_RUNS, default 100,000 per target there). Every target prints how many it ran.
export const FUZZ_RUNS = Number(process.env.WSMITH_FUZZ_RUNS ?? '') || 0;

/** The runs for one target: `short` in `npm test`, WSMITH_FUZZ_RUNS under `npm run fuzz`. */
export function runs(short: number): number {
  return FUZZ_RUNS > 0 ? FUZZ_RUNS : short;
}

/** A timeout that grows with the runs (a long fuzz pass takes minutes). */
export function timeoutFor(numRuns: number, perRunMs = 2): number {
  return Math.max(60_000, numRuns * perRunMs);
}

/** One line per target, so that `npm run fuzz` reports what it did. */
export function reportRuns(target: string, numRuns: number, detail = ''): void {
  console.log(`FUZZ ${target}: ${numRuns} cases${detail === '' ? '' : `, ${detail}`}`);
}
