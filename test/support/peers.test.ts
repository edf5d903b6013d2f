// CI must not pass without its real peers: under CI=true, or WSMITH_REQUIRE_PEERS=1 (set by
// .ci/run), a suite whose peer is missing fails instead of skipping. Checked on a fixture suite run
// by vitest itself.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const vitest = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

function runFixture(flags: { requirePeers?: boolean; ci?: string }): { status: number | null; output: string } {
  const env = { ...process.env, WSMITH_REQUIRE_PEERS: flags.requirePeers === true ? '1' : '', CI: flags.ci ?? '' };
  const result = spawnSync(process.execPath, [vitest, 'run', '--config', 'test/support/peers-fixture/vitest.config.ts'], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('WSMITH_REQUIRE_PEERS and CI', () => {
  it('without either, a suite whose peer is missing is skipped with a warning', () => {
    const { status, output } = runFixture({ ci: 'false' });
    expect(status).toBe(0);
    expect(output).toMatch(/SKIPPED "a suite that needs an imaginary peer": missing an imaginary peer/);
    expect(output).toMatch(/SKIPPED "a test that needs another imaginary peer": missing another imaginary peer/);
    expect(output).toMatch(/2 skipped/);
  });

  it('with WSMITH_REQUIRE_PEERS=1, the same suite fails and names what is missing', () => {
    const { status, output } = runFixture({ requirePeers: true });
    expect(status).not.toBe(0);
    expect(output).toMatch(/peers are missing: an imaginary peer/);
    expect(output).not.toMatch(/skipped/);
  });

  it('with CI=true alone, the same suite fails too', () => {
    const { status, output } = runFixture({ ci: 'true' });
    expect(status).not.toBe(0);
    expect(output).toMatch(/peers are missing: an imaginary peer/);
    expect(output).toMatch(/peers are missing: another imaginary peer/);
    expect(output).not.toMatch(/skipped/);
  });

  it('.ci/run sets it', () => {
    expect(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8')).toMatch(/^export WSMITH_REQUIRE_PEERS=1$/m);
  });
});
