// What the page remembers between loads.
// - The nickname last used, in localStorage: every tab of this browser offers it.
// - The room and nickname this tab is in, in sessionStorage: a reload of the tab joins them again, while
//   a new tab does not join under the same name and clash with the first one.
// - A random key, in localStorage, sent with every join: it proves to the server that a later join is the
//   same user, so our own private messages come back in the history (the server keeps only its hash).
// Storage may be unavailable (privacy settings): then the page still works and remembers nothing.

const NICK = 'wsmith-chat:nick';
const TAB = 'wsmith-chat:tab';
const KEY = 'wsmith-chat:key';
const KEY_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

function storage(kind) {
  try {
    return kind === 'local' ? window.localStorage : window.sessionStorage;
  } catch {
    return null;
  }
}

function read(kind, name) {
  try {
    return storage(kind)?.getItem(name) ?? '';
  } catch {
    return '';
  }
}

function write(kind, name, value) {
  try {
    if (value) storage(kind)?.setItem(name, value);
    else storage(kind)?.removeItem(name);
  } catch {
    // Full or blocked: nothing to remember then.
  }
}

/** The nickname to offer, and the room to join again if this tab was in one before a reload. */
export function restore() {
  let tab = {};
  try {
    tab = JSON.parse(read('session', TAB) || '{}');
  } catch {
    // A value we did not write: ignore it.
  }
  const room = typeof tab.room === 'string' ? tab.room : '';
  const tabNick = typeof tab.nick === 'string' ? tab.nick : '';
  return { nick: tabNick || read('local', NICK), room: tabNick ? room : '' };
}

/** Called once a join succeeded. */
export function rememberJoined(nick, room) {
  write('local', NICK, nick);
  write('session', TAB, JSON.stringify({ nick, room }));
}

/** Called when the user leaves the room (or a rejoin fails for good): a reload no longer joins it. */
export function forgetRoom() {
  write('session', TAB, '');
}

let key = '';

/** This browser's key, created on first use; kept in memory too, for when storage is unavailable. */
export function userKey() {
  if (key) return key;
  key = read('local', KEY);
  if (!KEY_PATTERN.test(key)) {
    const bytes = crypto.getRandomValues(new Uint8Array(18)); // works on plain http too, unlike randomUUID
    key = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    write('local', KEY, key);
  }
  return key;
}
