// Tests that need a real peer (Chromium, redis-server, Python's websockets, openssl) or the built
// dist/ skip when it is missing on a developer's machine, with a warning. CI must not pass without
// them: .ci/run sets WSMITH_REQUIRE_PEERS=1, and then such a suite fails instead of skipping.
import { describe, it } from 'vitest';

export const REQUIRE_PEERS = process.env.WSMITH_REQUIRE_PEERS === '1';

type SuiteFactory = (name: string, body: () => void) => void;

/** What is missing among `needs` (name -> available). */
export function missingPeers(needs: Record<string, boolean>): string[] {
  return Object.entries(needs)
    .filter(([, available]) => !available)
    .map(([name]) => name);
}

/**
 * `describe` when every peer in `needs` is available. Otherwise the suite is skipped with a
 * warning, or, under WSMITH_REQUIRE_PEERS=1, replaced by one failing test that names what is
 * missing.
 */
export function describeWithPeers(needs: Record<string, boolean>): SuiteFactory {
  const missing = missingPeers(needs);
  if (missing.length === 0) return (name, body) => describe(name, body);
  if (!REQUIRE_PEERS) {
    return (name, body) => {
      console.warn(`SKIPPED "${name}": missing ${missing.join(', ')} (WSMITH_REQUIRE_PEERS=1 makes this a failure)`);
      describe.skip(name, body);
    };
  }
  return (name) =>
    describe(name, () => {
      it(`has its peers: ${missing.join(', ')}`, () => {
        throw new Error(`WSMITH_REQUIRE_PEERS=1 and this suite's peers are missing: ${missing.join(', ')}`);
      });
    });
}
