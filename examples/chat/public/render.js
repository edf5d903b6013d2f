// Drawing the page. Everything a user typed reaches the DOM through textContent only, never parsed as
// HTML, so a nickname like <img src=x onerror=alert(1)> is shown as those characters.

export const $ = (id) => document.getElementById(id);

/** Identifies a log entry, to show once a line that came both live and in the history. */
export const entryKey = (e) => [e.type, e.ts, e.from ?? '', e.to ?? '', e.text].join('\u0000');

function time(ts) {
  const el = document.createElement('time');
  const date = new Date(ts);
  el.dateTime = date.toISOString();
  el.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return el;
}

function span(className, text) {
  const el = document.createElement('span');
  el.className = className;
  el.textContent = text;
  return el;
}

function appendItem(li) {
  const log = $('log');
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(li);
  if (atBottom) log.scrollTop = log.scrollHeight;
}

export function clearLog() {
  $('log').replaceChildren();
}

/** Nicknames compare as the server compares them: compatibility-normalized, case-folded. */
export const sameNick = (a, b) => a.normalize('NFKC').toLowerCase() === b.normalize('NFKC').toLowerCase();

/** A line of the room's log: a message, a join or leave, or a private message; `me` is our nickname. */
export function appendEntry(entry, me, fromHistory = false) {
  const li = document.createElement('li');
  const classes = [entry.type === 'system' ? 'system' : 'line'];
  if (entry.type === 'private') classes.push('private');
  if (fromHistory) classes.push('history');
  li.className = classes.join(' ');
  if (entry.type === 'system') {
    li.append(time(entry.ts), document.createTextNode(entry.text));
  } else {
    const who =
      entry.type !== 'private' ? entry.from : sameNick(entry.from, me) ? `you → ${entry.to} (private)` : `${entry.from} → you (private)`;
    li.append(time(entry.ts), span('nick', who), span('text', entry.text));
  }
  appendItem(li);
}

/** A line only this page shows ("You joined lobby as ann"). */
export function appendNote(text) {
  appendEntry({ type: 'system', text, ts: Date.now() });
}

/** The room's members; a click on someone else picks them as the recipient of the next message. */
export function renderMembers(members, me, onPick) {
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
    if (member.nick === me) {
      li.append(span('me', member.nick));
      li.title = 'you';
    } else {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'chip';
      button.textContent = member.nick;
      button.title = `message ${member.nick} privately`;
      button.addEventListener('click', () => onPick(member.nick));
      li.append(button);
      const option = document.createElement('option');
      option.value = member.nick;
      option.textContent = `only ${member.nick}`;
      select.append(option);
    }
    list.append(li);
  }
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : '';
}

/** The rooms with their member counts; a click joins one. */
export function renderRooms(rooms, current, onPick) {
  const list = $('rooms');
  list.classList.remove('stale');
  list.replaceChildren();
  for (const room of rooms) {
    const li = document.createElement('li');
    li.dataset.room = room.name;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'chip';
    button.append(span('name', room.name), span('count', String(room.count)));
    button.addEventListener('click', () => onPick(room.name));
    li.append(button);
    list.append(li);
  }
  highlightRoom(current);
}

/** Marks the room we are in ('' when none). */
export function highlightRoom(current) {
  for (const li of $('rooms').children) li.classList.toggle('current', current !== '' && li.dataset.room === current);
}

export function setStatus(kind, text, extensions = '') {
  const status = $('status');
  status.className = 'status ' + kind;
  status.textContent = text;
  // Say whether the connection compresses its messages (RFC 7692), as a tooltip.
  status.title = extensions.startsWith('permessage-deflate') ? 'messages are compressed (permessage-deflate)' : '';
}

/** typers: nick -> { toMe } for everyone typing now; toMe: typing a private message to us. */
export function renderTyping(typers) {
  const all = [...typers];
  let text = '';
  if (all.length === 1) {
    const [nick, { toMe }] = all[0];
    text = `${nick} is typing${toMe ? ' to you' : ''}…`;
  } else if (all.length > 1) {
    text = `${all.map(([nick, { toMe }]) => (toMe ? `${nick} (to you)` : nick)).join(', ')} are typing…`;
  }
  $('typing').textContent = text;
}
