// The chat page: the connection (with reconnect and backoff), the server's messages, the user's actions.
// Drawing is in render.js, what survives a reload in session.js.
import {
  $,
  appendEntry,
  appendNote,
  clearLog,
  entryKey,
  highlightRoom,
  renderMembers,
  renderRooms,
  renderTyping,
  setStatus,
} from './render.js';
import { forgetRoom, rememberJoined, restore, userKey } from './session.js';

const state = {
  socket: null,
  nick: '',
  room: '', // the room we are in, or are (re)joining
  joined: false,
  typingTimeoutMs: 3000,
  lastTypingSent: 0,
  lastTypingTo: '', // '' for the room, else the nickname a private message is being typed to
  typers: new Map(), // nick -> { timer, toMe }
  rejoinTries: 0, // > 0 while joining again after a reconnect or a reload
  early: [], // entries of the room being joined that arrived before its history
  attempt: 0,
  reconnectTimer: 0,
  countdownTimer: 0,
};

// ---- connection, with reconnect and backoff ----

function socketUrl() {
  const url = new URL('/ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = new URLSearchParams(location.search).get('token');
  if (token) url.searchParams.set('token', token);
  return url.href;
}

function connect() {
  setStatus('connecting', state.attempt === 0 ? 'connecting…' : `reconnecting… (attempt ${state.attempt})`);
  const socket = new WebSocket(socketUrl(), ['wsmith-chat']);
  state.socket = socket;
  socket.addEventListener('open', () => {
    state.attempt = 0;
    setStatus('connected', 'connected', socket.extensions);
    // After a reconnect or a reload: the server forgot us when the old connection closed.
    if (state.room && state.nick) {
      state.rejoinTries = 1;
      sendJoin();
    }
  });
  socket.addEventListener('message', (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (Object.hasOwn(handlers, message.type)) handlers[message.type](message);
  });
  socket.addEventListener('close', (event) => {
    if (state.socket !== socket) return;
    state.socket = null;
    setJoined(false);
    clearTypers();
    // Who is online is unknown until we are back: show the last list greyed out.
    $('members').classList.add('stale');
    $('rooms').classList.add('stale');
    $('text').placeholder = 'Reconnecting…';
    scheduleReconnect(event.code, event.reason);
  });
}

/** Exponential backoff with jitter: 0.5 s, 1 s, 2 s … up to 15 s, so a restarted server is not stampeded. */
function scheduleReconnect(code, reason) {
  const base = Math.min(15000, 500 * 2 ** state.attempt);
  const delay = Math.round(base / 2 + (Math.random() * base) / 2);
  state.attempt++;
  const until = Date.now() + delay;
  const why = code === 1008 || code === 1009 ? ` (closed: ${reason || code})` : '';
  const tick = () => {
    const seconds = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    setStatus('reconnecting', `reconnecting in ${seconds} s${why}`);
  };
  tick();
  clearInterval(state.countdownTimer);
  state.countdownTimer = setInterval(tick, 250);
  clearTimeout(state.reconnectTimer);
  state.reconnectTimer = setTimeout(() => {
    clearInterval(state.countdownTimer);
    connect();
  }, delay);
}

function send(message) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify(message));
    return true;
  }
  return false;
}

/** Joins state.room as state.nick, with our key so our private messages come back in the history. */
function sendJoin() {
  state.early = [];
  send({ type: 'join', room: state.room, nick: state.nick, key: userKey() });
}

// ---- messages from the server ----

/** A message, a join or leave line, or a private message: shown once we have the room's history. */
function receiveEntry(entry) {
  if (entry.room !== state.room) return;
  if (!state.joined) {
    state.early.push(entry);
    return;
  }
  if (entry.from) stopTyping(entry.from);
  appendEntry(entry, state.nick);
}

const handlers = {
  welcome(m) {
    state.typingTimeoutMs = m.typingTimeoutMs;
  },
  joined(m) {
    state.room = m.room;
    state.nick = m.nick;
    state.rejoinTries = 0;
    rememberJoined(m.nick, m.room);
    setJoined(true);
    $('current-room').textContent = m.room;
    clearLog();
    for (const entry of m.history) appendEntry(entry, state.nick, true);
    // An entry said while we were joining can come both live and in the history: show it once.
    const seen = new Set(m.history.map(entryKey));
    for (const entry of state.early) if (entry.room === m.room && !seen.has(entryKey(entry))) appendEntry(entry, state.nick);
    state.early = [];
    appendNote(`You joined ${m.room} as ${m.nick}`);
    renderMembers(m.members, state.nick, pickRecipient);
    highlightRoom(m.room);
  },
  left(m) {
    if (m.room !== state.room) return;
    showNoRoom();
    appendNote(`You left ${m.room}`);
  },
  presence(m) {
    if (m.room === state.room) renderMembers(m.members, state.nick, pickRecipient);
  },
  message: receiveEntry,
  system: receiveEntry,
  private: receiveEntry,
  typing(m) {
    if (m.room === state.room && m.nick !== state.nick) startTyping(m.nick, Boolean(m.to));
  },
  rooms(m) {
    renderRooms(m.rooms, state.joined ? state.room : '', joinRoomNamed);
  },
  error(m) {
    const target = m.code === 'nick_taken' || !state.joined ? $('join-error') : $('error');
    target.textContent = m.message;
    setTimeout(() => {
      if (target.textContent === m.message) target.textContent = '';
    }, 5000);
    if (m.code !== 'nick_taken' || state.joined) return;
    // After a network drop or a reload our old connection may still hold the nickname until the server
    // notices it is gone: retry the rejoin a few times. A clash on a fresh join is final.
    if (state.rejoinTries > 0 && state.rejoinTries < 8) {
      state.rejoinTries++;
      setTimeout(() => {
        if (!state.joined && state.room) sendJoin();
      }, 2000);
    } else {
      state.rejoinTries = 0;
      showNoRoom();
    }
  },
};

/** In no room: after leaving, or when a join was refused for good. */
function showNoRoom() {
  state.room = '';
  forgetRoom();
  setJoined(false);
  $('current-room').textContent = 'no room';
  renderMembers([], state.nick, pickRecipient);
  highlightRoom('');
}

function setJoined(joined) {
  state.joined = joined;
  $('text').disabled = !joined;
  $('send').disabled = !joined;
  $('leave').disabled = !joined;
  $('text').placeholder = joined ? `Message ${state.room}` : 'Join a room to chat';
}

// ---- typing indicators: expiring without keystrokes ----

function startTyping(nick, toMe) {
  clearTimeout(state.typers.get(nick)?.timer);
  state.typers.set(nick, { toMe, timer: setTimeout(() => stopTyping(nick), state.typingTimeoutMs) });
  renderTyping(state.typers);
}

function stopTyping(nick) {
  if (!state.typers.has(nick)) return;
  clearTimeout(state.typers.get(nick).timer);
  state.typers.delete(nick);
  renderTyping(state.typers);
}

function clearTypers() {
  for (const { timer } of state.typers.values()) clearTimeout(timer);
  state.typers.clear();
  renderTyping(state.typers);
}

// ---- user actions ----

function joinRoom() {
  const nick = $('nick').value.trim();
  const room = $('room').value.trim();
  $('join-error').textContent = '';
  if (!nick || !room) return;
  if (state.joined && room === state.room && nick === state.nick) return;
  // Switching rooms: out of the old one now, so a refused join (nickname taken) leaves us in none.
  if (state.joined) {
    send({ type: 'leave', room: state.room });
    setJoined(false);
  }
  state.nick = nick;
  state.room = room;
  state.rejoinTries = 0;
  clearTypers();
  sendJoin();
}

function joinRoomNamed(room) {
  $('room').value = room;
  joinRoom();
}

function pickRecipient(nick) {
  $('to').value = nick;
  $('text').focus();
}

$('join-form').addEventListener('submit', (event) => {
  event.preventDefault();
  joinRoom();
});

$('leave').addEventListener('click', () => {
  if (state.joined) send({ type: 'leave', room: state.room });
});

$('send-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('text');
  const text = input.value;
  if (!text.trim() || !state.joined) return;
  const to = $('to').value;
  const sent = to
    ? send({ type: 'private', room: state.room, to, text })
    : send({ type: 'message', room: state.room, text });
  if (sent) {
    input.value = '';
    state.lastTypingSent = 0;
  }
});

// Throttled on the sender: at most one typing event per third of the expiry, enough to keep it shown.
// While a private message is being written, only its recipient is told.
$('text').addEventListener('input', () => {
  const now = Date.now();
  const to = $('to').value;
  if (!state.joined || !$('text').value) return;
  if (to === state.lastTypingTo && now - state.lastTypingSent < state.typingTimeoutMs / 3) return;
  state.lastTypingSent = now;
  state.lastTypingTo = to;
  send(to ? { type: 'typing', room: state.room, to } : { type: 'typing', room: state.room });
});

// A reload of this tab joins its room again under the same nickname.
const saved = restore();
$('nick').value = saved.nick;
if (saved.room) {
  $('room').value = saved.room;
  state.nick = saved.nick;
  state.room = saved.room;
}
connect();
