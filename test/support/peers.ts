// Tests that need a real peer (Chromium, redis-server, Python's websockets, openssl, IPv6 loopback)
// or the built dist/ skip when it is missing on a developer's machine, with a warning. CI must not
// pass without them: under CI=true (what CI services set) or WSMITH_REQUIRE_PEERS=1 (set by
// .ci/run) such a suite fails instead of skipping.
import { describe, it } from 'vitest';

/** CI=true, CI=1…: set; unset, empty, "0" or "false": not. */
function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

export const REQUIRE_PEERS = process.env.WSMITH_REQUIRE_PEERS === '1' || isSet(process.env.CI);

type SuiteFactory = (name: string, body: () => void) => void;

/** What is missing among `needs` (name -> available). */
export function missingPeers(needs: Record<string, boolean>): string[] {
  return Object.entries(needs)
    .filter(([, available]) => !available)
    .map(([name]) => name);
}

/**
 * `describe` when every peer in `needs` is available. Otherwise the suite is skipped with a
 * warning, or, under CI=true or WSMITH_REQUIRE_PEERS=1, replaced by one failing test that names
 * what is missing.
 */
export function describeWithPeers(needs: Record<string, boolean>): SuiteFactory {
  return withPeers<() => void>(
    needs,
    (name, body) => describe(name, body),
    (name, body) => describe.skip(name, body),
    (name, missing) =>
      describe(name, () => {
        it(`has its peers: ${missing.join(', ')}`, () => {
          throw missingPeersError(missing);
        });
      }),
  );
}

/** `it` when every peer in `needs` is available; otherwise as `describeWithPeers`, for one test. */
export function itWithPeers(needs: Record<string, boolean>): (name: string, body: () => Promise<void> | void) => void {
  return withPeers<() => Promise<void> | void>(
    needs,
    (name, body) => it(name, body),
    (name, body) => it.skip(name, body),
    (name, missing) =>
      it(name, () => {
        throw missingPeersError(missing);
      }),
  );
}

/** The error a test throws, under CI=true or WSMITH_REQUIRE_PEERS=1, for what it lacks. */
export function missingPeersError(missing: string[]): Error {
  return new Error(`CI=true or WSMITH_REQUIRE_PEERS=1, and this suite's peers are missing: ${missing.join(', ')}`);
}

function withPeers<Body>(
  needs: Record<string, boolean>,
  run: (name: string, body: Body) => void,
  skip: (name: string, body: Body) => void,
  fail: (name: string, missing: string[]) => void,
): (name: string, body: Body) => void {
  const missing = missingPeers(needs);
  if (missing.length === 0) return (name, body) => run(name, body);
  if (REQUIRE_PEERS) return (name) => fail(name, missing);
  return (name, body) => {
    console.warn(`SKIPPED "${name}": missing ${missing.join(', ')} (CI=true or WSMITH_REQUIRE_PEERS=1 makes this a failure)`);
    skip(name, body);
  };
}
