/**
 * The `wsmith decode` command, run as a child process from the build (`npm run build` first;
 * `npm test` does it).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = fileURLToPath(new URL('../../build/bin/wsmith.js', import.meta.url));
const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function wsmith(args: string[], stdin?: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

beforeAll(async () => {
  if (!existsSync(cli) || !existsSync(`${root}/dist/inspect/index.js`)) {
    await run('npm', ['run', 'build'], { cwd: root });
  }
}, 120_000);

describe('wsmith decode (the built CLI)', () => {
  it('decodes the §5.7 unmasked "Hello" given as separate hex arguments', async () => {
    const { code, stdout } = await wsmith(['decode', '81', '05', '48', '65', '6c', '6c', '6f']);
    expect(code).toBe(0);
    expect(stdout).toContain('Receiver: client');
    expect(stdout).toContain('Frame 1, bytes 0-6: FIN TEXT len=5 "Hello"');
    expect(stdout).toContain('MASK:               0');
    expect(stdout).toContain('delivers a text message of 5 bytes: "Hello"');
    expect(stdout).toContain('OK: 1 valid frame(s).');
  });

  it('decodes the §5.7 masked "Hello" given as one packed argument', async () => {
    const { code, stdout } = await wsmith(['decode', '818537fa213d7f9f4d5158']);
    expect(code).toBe(0);
    expect(stdout).toContain('Receiver: server');
    expect(stdout).toContain('masking key:        37 fa 21 3d');
    expect(stdout).toContain('payload, unmasked:  "Hello"');
  });

  it('reads hex from standard input with "-": the fragmented "Hel" + "lo"', async () => {
    const { code, stdout } = await wsmith(['decode', '-'], '01 03 48 65 6c\n80 02 6c 6f\n');
    expect(code).toBe(0);
    expect(stdout).toContain('Frame 1, bytes 0-4: --- TEXT len=3 "Hel"');
    expect(stdout).toContain('Frame 2, bytes 5-8: FIN CONT len=2 "lo"');
    expect(stdout).toContain('OK: 2 valid frame(s).');
  });

  it('decodes ping and pong, and shows the Pong the receiver answers with', async () => {
    const { stdout } = await wsmith(['decode', '89 05 48 65 6c 6c 6f']);
    expect(stdout).toContain('answers with a Pong');
    expect(stdout).toContain('receiver sends:     FIN PONG key=12345678 len=5 "Hello"');
    const pong = await wsmith(['decode', '8a 85 37 fa 21 3d 7f 9f 4d 51 58']);
    expect(pong.stdout).toContain('FIN PONG key=37fa213d len=5 "Hello"');
  });

  it('names the 16-bit and 64-bit length forms', async () => {
    const sixteen = await wsmith(['decode', '-'], '82 7e 01 00 ' + '00 '.repeat(256));
    expect(sixteen.stdout).toContain('payload length:     256 (16-bit form: 126, then 2 bytes)');
    const sixtyFour = await wsmith(['decode', '-'], '827f0000000000010000' + 'ab'.repeat(65536));
    expect(sixtyFour.code).toBe(0);
    expect(sixtyFour.stdout).toContain('payload length:     65536 (64-bit form: 127, then 8 bytes)');
  });

  const invalid: Array<[string, string, string]> = [
    ['reserved opcode', '83 00', '1002 ProtocolError'],
    ['RSV bit', 'c1 00', '1002 ProtocolError'],
    ['control frame over 125 bytes', '89 7e 00 7e', '1002 ProtocolError'],
    ['invalid UTF-8 text', '81 02 c3 28', '1007 InvalidPayload'],
    ['bad close code', '88 02 03 ed', '1002 ProtocolError'],
    ['64-bit length with the top bit set', '82 7f 80 00 00 00 00 00 00 00', '1002 ProtocolError'],
  ];
  for (const [name, hex, close] of invalid) {
    it(`says what is wrong with a frame with a ${name} and exits 1`, async () => {
      const { code, stdout } = await wsmith(['decode', hex]);
      expect(code).toBe(1);
      expect(stdout).toContain(`FAILS the connection (§7.1.7) with close code ${close}`);
      expect(stdout).toMatch(/why: +.+ \(WS_ERR_[A-Z0-9_]+, RFC 6455 §[\d.]+\)/);
      expect(stdout).toContain(`INVALID: the receiver fails the connection with close code ${close}`);
    });
  }

  it('takes --role to say who receives', async () => {
    const { code, stdout } = await wsmith(['decode', '--role', 'server', '81 05 48 65 6c 6c 6f']);
    expect(code).toBe(1);
    expect(stdout).toContain('Unmasked frame from a client');
  });

  it('exits 2 with the usage on bad input', async () => {
    const bad = await wsmith(['decode', '8g']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Not a hex digit');
    expect((await wsmith(['frobnicate'])).code).toBe(2);
    expect((await wsmith(['decode'])).stderr).toContain('No bytes to decode');
    const help = await wsmith(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: wsmith decode');
  });
});
