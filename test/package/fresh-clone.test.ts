// The first ten minutes: a fresh clone (of the last commit), `npm install`, and then the commands
// the README gives work at once — `npx wsmith decode`, `npx wsmith-spec`, `npm start` — while the
// clone stays clean: nothing rewritten (package-lock.json included), everything built is ignored.
// Offline: npm takes the dev dependencies from its cache, filled by the install of this checkout.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const scratch = mkdtempSync(path.join(tmpdir(), 'wsmith-clone-'));
const clone = path.join(scratch, 'wsmith');
// npx installs the project into its own cache to link its commands: keep that out of ~/.npm.
const npxEnv = { ...process.env, npm_config_cache: path.join(scratch, 'npx-cache') };

async function gitStatus(): Promise<string> {
  return (await run('git', ['status', '--porcelain'], { cwd: clone })).stdout;
}

beforeAll(async () => {
  await run('git', ['clone', '--quiet', ROOT, clone]);
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund'], { cwd: clone, timeout: 280_000 });
}, 300_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('a fresh clone after npm install', () => {
  it('is built (the "prepare" step) and clean: package-lock.json was already in sync', async () => {
    const { stdout } = await run(process.execPath, ['-e', "console.log(typeof require('./dist/cjs/wsmith.cjs'))"], { cwd: clone });
    expect(stdout.trim()).toBe('function');
    expect(await gitStatus()).toBe('');
  });

  it('runs npx wsmith decode and npx wsmith-spec straight away', async () => {
    const decoded = await run('npx', ['--offline', 'wsmith', 'decode', '81', '05', '48', '65', '6c', '6c', '6f'], { cwd: clone, env: npxEnv });
    expect(decoded.stdout).toContain('"Hello"');
    const listed = await run('npx', ['--offline', 'wsmith-spec', 'list', '--cases', '1.1.1'], { cwd: clone, env: npxEnv });
    expect(listed.stdout).toContain('1.1.1');
    expect(await gitStatus()).toBe('');
  }, 120_000);

  it('npm start builds and serves the chat, and leaves the clone clean', async () => {
    const child = spawn('npm', ['start'], {
      cwd: clone,
      detached: true,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CHAT_DATA_DIR: path.join(scratch, 'chat-data') },
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const started = /^chat: (http:\/\/\S+)/m.exec(output);
          if (started !== null) resolve(started[1]);
        });
        child.on('exit', (code) => reject(new Error(`npm start exited (${code}): ${output}`)));
      });
      expect(line).toMatch(/^http:\/\/.+\/$/);
    } finally {
      // The npm process group: npm, its shell and the server (all started here).
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    }
    expect(await gitStatus()).toBe('');
  }, 180_000);
});
