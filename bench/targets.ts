// The servers the bench compares. Each runs in its own child process (bench/server.ts), started
// fresh for every measurement, with the environment below.

export type TargetName = 'wsmith' | 'ws' | 'ws-native' | 'raw' | 'broken-drop' | 'broken-corrupt';

export interface Target {
  name: TargetName;
  label: string;
  /** Environment for the server process (and the micro-bench process). */
  env: Record<string, string>;
  /** The raw TCP echo answers with the client's own bytes: frames stay masked. */
  rawEcho: boolean;
}

export const TARGETS: Record<TargetName, Target> = {
  wsmith: { name: 'wsmith', label: 'wsmith', env: {}, rawEcho: false },
  // ws 8 picks its native helpers at load time; these variables make it pure JavaScript.
  // (On Node 20 ws validates UTF-8 with the built-in buffer.isUtf8 in both variants.)
  ws: { name: 'ws', label: 'ws (pure JS)', env: { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' }, rawEcho: false },
  'ws-native': { name: 'ws-native', label: 'ws + bufferutil/utf-8-validate', env: {}, rawEcho: false },
  raw: { name: 'raw', label: 'raw TCP (ceiling)', env: {}, rawEcho: true },
  // Deliberately wrong servers, only for the smoke test of the load client.
  'broken-drop': { name: 'broken-drop', label: 'ws that drops a message', env: {}, rawEcho: false },
  'broken-corrupt': { name: 'broken-corrupt', label: 'ws that corrupts a message', env: {}, rawEcho: false },
};

export const DEFAULT_TARGETS: TargetName[] = ['wsmith', 'ws', 'ws-native', 'raw'];

export function isTargetName(name: string): name is TargetName {
  return Object.hasOwn(TARGETS, name);
}
