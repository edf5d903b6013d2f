#!/usr/bin/env node
/**
 * `wsmith`: command-line tools for learning RFC 6455.
 *
 *   wsmith decode 81 05 48 65 6c 6c 6f          one or more hex arguments
 *   wsmith decode 810548656c6c6f
 *   echo 81 05 48 65 6c 6c 6f | wsmith decode -  hex from standard input
 *   wsmith decode --role server 81 85 ...        who receives (default: from the first mask bit)
 *
 * Each frame is printed field by field, with what a wsmith endpoint receiving these bytes does:
 * the message it delivers, the Pong or Close it answers with, or the close code it fails with.
 * Exit status: 0 valid, 1 invalid or incomplete, 2 usage error.
 */
import { describeFrames, formatDescription, parseHex } from 'wsmith/inspect';

const USAGE = `Usage: wsmith decode [--role server|client] [--max-payload BYTES] <hex bytes ... | ->

Decode WebSocket frames (RFC 6455 §5.2) given as hex, e.g.
  wsmith decode 81 05 48 65 6c 6c 6f
  wsmith decode 818537fa213d7f9f4d5158
  printf '81 05 48 65 6c 6c 6f' | wsmith decode -

--role server   the bytes are read by a server (frames must be masked)
--role client   the bytes are read by a client (frames must not be masked)
                default: inferred from the mask bit of the first frame
--max-payload   the receiver's message size limit (default 100 MiB, as wsmith and ws)`;

interface DecodeArguments {
  role?: 'server' | 'client';
  maxPayload?: number;
  hex: string[];
  stdin: boolean;
}

class UsageError extends Error {}

function parseArguments(args: string[]): DecodeArguments {
  const parsed: DecodeArguments = { hex: [], stdin: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--role') {
      const role = args[++i];
      if (role !== 'server' && role !== 'client') throw new UsageError('--role takes "server" or "client"');
      parsed.role = role;
    } else if (arg === '--max-payload') {
      const value = Number(args[++i]);
      if (!Number.isSafeInteger(value) || value < 0) throw new UsageError('--max-payload takes a byte count');
      parsed.maxPayload = value;
    } else if (arg === '-') {
      parsed.stdin = true;
    } else if (arg.startsWith('--')) {
      throw new UsageError(`Unknown option ${arg}`);
    } else {
      parsed.hex.push(arg);
    }
  }
  if (parsed.stdin && parsed.hex.length > 0) throw new UsageError('Give hex as arguments or "-", not both');
  if (!parsed.stdin && parsed.hex.length === 0) throw new UsageError('No bytes to decode');
  return parsed;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function decode(args: string[]): Promise<number> {
  const options = parseArguments(args);
  const text = options.stdin ? await readStdin() : options.hex.join(' ');
  let bytes: Buffer;
  try {
    bytes = parseHex(text);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (bytes.length === 0) throw new UsageError('No bytes to decode');
  const description = describeFrames(bytes, { role: options.role, maxPayload: options.maxPayload });
  process.stdout.write(formatDescription(description) + '\n');
  const incomplete = description.frames.some((frame) => frame.incomplete) || description.trailingBytes > 0;
  return description.error === null && !incomplete ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command === undefined ? 2 : 0;
  }
  try {
    if (command === 'decode') return await decode(rest);
    throw new UsageError(`Unknown command "${command}"`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`wsmith: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
