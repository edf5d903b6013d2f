// The chat page. Everything a user typed reaches the DOM through textContent only, never parsed as
// HTML, so a nickname like <img src=x onerror=alert(1)> is shown as those characters.
'use strict';

const $ = (id) => document.getElementById(id);

const state = {
  socket: null,
  nick: '',
  room: '', // the room we are in, or are (re)joining
  joined: false,
  typingTimeoutMs: 3000,
  lastTypingSent: 0,
  typers: new Map(), // nick -> timer that removes the indicator
  rejoinTries: 0, // > 0 while rejoining after a reconnect
  early: [], // lines of the room being joined that arrived before its history
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
    setStatus('connected', 'connected');
    // Rejoin after a reconnect: the server forgot us when the old connection closed.
    if (state.room && state.nick) {
      state.rejoinTries = 1;
      state.early = [];
      send({ type: 'join', room: state.room, nick: state.nick });
    }
  });
  socket.addEventListener('message', (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    const handler = handlers[message.type];
    if (handler) handler(message);
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

// ---- messages from the server ----

const handlers = {
  welcome(m) {
    state.typingTimeoutMs = m.typingTimeoutMs;
  },
  joined(m) {
    state.room = m.room;
    state.nick = m.nick;
    state.rejoinTries = 0;
    setJoined(true);
    $('current-room').textContent = m.room;
    $('log').replaceChildren();
    for (const line of m.history) appendLine(line, 'history');
    // A line said while we were joining can come both live and in the history: show it once.
    const seen = new Set(m.history.map(lineKey));
    for (const line of state.early) if (line.room === m.room && !seen.has(lineKey(line))) appendLine(line);
    state.early = [];
    appendSystem(`You joined ${m.room} as ${m.nick}`, Date.now());
    renderMembers(m.members);
    highlightRoom();
  },
  left(m) {
    if (m.room !== state.room) return;
    state.room = '';
    setJoined(false);
    $('current-room').textContent = 'no room';
    renderMembers([]);
    appendSystem(`You left ${m.room}`, Date.now());
    highlightRoom();
  },
  presence(m) {
    if (m.room === state.room) renderMembers(m.members);
  },
  message(m) {
    if (m.room !== state.room) return;
    if (!state.joined) {
      state.early.push(m);
      return;
    }
    stopTyping(m.from);
    appendLine(m);
  },
  system(m) {
    if (m.room === state.room) appendSystem(m.text, m.ts);
  },
  private(m) {
    appendPrivate(m);
  },
  typing(m) {
    if (m.room === state.room && m.nick !== state.nick) startTyping(m.nick);
  },
  rooms(m) {
    renderRooms(m.rooms);
  },
  error(m) {
    const target = m.code === 'nick_taken' || !state.joined ? $('join-error') : $('error');
    target.textContent = m.message;
    setTimeout(() => {
      if (target.textContent === m.message) target.textContent = '';
    }, 5000);
    if (m.code !== 'nick_taken' || state.joined) return;
    // After a network drop our old connection may still hold the nickname until the server's heartbeat
    // notices it is gone: retry the rejoin a few times. A clash on a fresh join is final.
    if (state.rejoinTries > 0 && state.rejoinTries < 8) {
      state.rejoinTries++;
      setTimeout(() => {
        if (!state.joined && state.room) send({ type: 'join', room: state.room, nick: state.nick });
      }, 2000);
    } else {
      state.rejoinTries = 0;
      state.room = '';
    }
  },
};

// ---- rendering (text only) ----

const lineKey = (line) => `${line.ts}\u0000${line.from}\u0000${line.text}`;

function time(ts) {
  const el = document.createElement('time');
  const date = new Date(ts);
  el.dateTime = date.toISOString();
  el.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return el;
}

function appendItem(li) {
  const log = $('log');
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(li);
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function appendLine(line, extraClass) {
  const li = document.createElement('li');
  li.className = 'line' + (extraClass ? ' ' + extraClass : '');
  const nick = document.createElement('span');
  nick.className = 'nick';
  nick.textContent = line.from;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = line.text;
  li.append(time(line.ts), nick, text);
  appendItem(li);
}

function appendSystem(text, ts) {
  const li = document.createElement('li');
  li.className = 'system';
  li.append(time(ts), document.createTextNode(text));
  appendItem(li);
}

function appendPrivate(m) {
  const li = document.createElement('li');
  li.className = 'line private';
  const nick = document.createElement('span');
  nick.className = 'nick';
  nick.textContent = m.from === state.nick ? `you → ${m.to} (private)` : `${m.from} → you (private)`;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = m.text;
  li.append(time(m.ts), nick, text);
  appendItem(li);
}

function renderMembers(members) {
  const list = $('members');
  const select = $('to');
  const chosen = select.value;
  list.classList.remove('stale');
  list.replaceChildren();
  const everyone = document.createElement('option');
  everyone.value = '';
  everyone.textContent = 'Everyone';
  select.replaceChildren(everyone);
  for (const member of members) {
    const li = document.createElement('li');
    li.textContent = member.nick;
    if (member.nick === state.nick) {
      li.className = 'me';
      li.title = 'you';
    } else {
      li.title = `message ${member.nick} privately`;
      li.addEventListener('click', () => {
        select.value = member.nick;
        $('text').focus();
      });
      const option = document.createElement('option');
      option.value = member.nick;
      option.textContent = `only ${member.nick}`;
      select.append(option);
    }
    list.append(li);
  }
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : '';
}

function renderRooms(rooms) {
  const list = $('rooms');
  list.classList.remove('stale');
  list.replaceChildren();
  for (const room of rooms) {
    const li = document.createElement('li');
    li.dataset.room = room.name;
    const count = document.createElement('span');
    count.className = 'count';
    count.textContent = String(room.count);
    li.append(document.createTextNode(room.name), count);
    li.addEventListener('click', () => {
      $('room').value = room.name;
      joinRoom();
    });
    list.append(li);
  }
  highlightRoom();
}

function highlightRoom() {
  for (const li of $('rooms').children) li.classList.toggle('current', state.joined && li.dataset.room === state.room);
}

function setStatus(kind, text) {
  const status = $('status');
  status.className = 'status ' + kind;
  status.textContent = text;
}

function setJoined(joined) {
  state.joined = joined;
  $('text').disabled = !joined;
  $('send').disabled = !joined;
  $('leave').disabled = !joined;
  $('text').placeholder = joined ? `Message ${state.room}` : 'Join a room to chat';
}

// ---- typing indicators: others only, expiring without keystrokes ----

function startTyping(nick) {
  clearTimeout(state.typers.get(nick));
  state.typers.set(nick, setTimeout(() => stopTyping(nick), state.typingTimeoutMs));
  renderTyping();
}

function stopTyping(nick) {
  if (!state.typers.has(nick)) return;
  clearTimeout(state.typers.get(nick));
  state.typers.delete(nick);
  renderTyping();
}

function clearTypers() {
  for (const timer of state.typers.values()) clearTimeout(timer);
  state.typers.clear();
  renderTyping();
}

function renderTyping() {
  const names = [...state.typers.keys()];
  $('typing').textContent =
    names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
}

// ---- user actions ----

function joinRoom() {
  const nick = $('nick').value.trim();
  const room = $('room').value.trim();
  $('join-error').textContent = '';
  if (!nick || !room) return;
  if (state.joined && room === state.room && nick === state.nick) return;
  if (state.joined) send({ type: 'leave', room: state.room });
  state.nick = nick;
  state.room = room;
  clearTypers();
  state.early = [];
  send({ type: 'join', room, nick });
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
$('text').addEventListener('input', () => {
  const now = Date.now();
  if (!state.joined || !$('text').value || now - state.lastTypingSent < state.typingTimeoutMs / 3) return;
  state.lastTypingSent = now;
  send({ type: 'typing', room: state.room });
});

connect();
