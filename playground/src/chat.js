// /playground/chat: the staff chat console, built on the admin client. Conversations (paged),
// the open conversation's messages with the tools each answer used, answers streamed as AIM
// writes them (tools shown as they run, a Stop button), the actions AIM proposed (confirm or
// cancel), and the live alert feed with its unread count.

import './playground.css';

import { button, client, currentSession, el, mountSignIn, onSessionChange } from './session.js';

const $ = (id) => document.getElementById(id);
const ui = {
  signedOut: $('signed-out'),
  console: $('console'),
  conversationList: $('conversation-list'),
  moreConversations: $('more-conversations'),
  newConversation: $('new-conversation'),
  chatHeading: $('chat-heading'),
  archive: $('archive-conversation'),
  messages: $('messages'),
  actions: $('actions'),
  actionList: $('action-list'),
  composer: $('composer'),
  message: $('message'),
  send: $('send'),
  stop: $('stop'),
  turnStatus: $('turn-status'),
  chatError: $('chat-error'),
  unreadCount: $('unread-count'),
  feedStatus: $('feed-status'),
  alertList: $('alert-list'),
  moreAlerts: $('more-alerts'),
};

const state = {
  conversations: [],
  conversationsCursor: null,
  current: null, // the open conversation's detail
  turn: null, // the message being answered, and the answer so far (see `send`)
  alerts: new Map(), // open alerts by id, newest first
  alertsCursor: null,
  stopFeed: null,
};

const time = (instant) =>
  new Date(instant).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

// --- Conversations -------------------------------------------------------------------------

async function loadConversations(more = false) {
  const page = await client.getConversationsPage({ limit: 20, cursor: more ? state.conversationsCursor : undefined });
  state.conversations = more ? [...state.conversations, ...page.conversations] : page.conversations;
  state.conversationsCursor = page.nextCursor;
  renderConversations();
}

function renderConversations() {
  ui.conversationList.replaceChildren(
    ...state.conversations.map((c) => {
      const current = state.current?.id === c.id;
      const item = button(
        [el('span', { className: 'title' }, c.title || 'Untitled'), el('time', { dateTime: c.updatedAt }, time(c.updatedAt))].reduce(
          (frag, node) => (frag.append(node), frag),
          document.createDocumentFragment(),
        ),
        () => openConversation(c.id),
        { 'aria-current': current ? 'true' : undefined, className: 'conversation' },
      );
      return el('li', {}, item);
    }),
  );
  if (!state.conversations.length) ui.conversationList.append(el('li', { className: 'empty' }, 'No conversations yet.'));
  ui.moreConversations.hidden = !state.conversationsCursor;
}

async function openConversation(id) {
  ui.chatError.textContent = '';
  try {
    state.current = await client.getConversation(id);
  } catch (err) {
    ui.chatError.textContent = err.message;
    return;
  }
  renderConversation();
  renderConversations();
  ui.message.focus();
}

function newConversation() {
  state.current = null;
  ui.chatError.textContent = '';
  renderConversation();
  renderConversations();
  ui.message.focus();
}

// --- Messages ------------------------------------------------------------------------------

function renderConversation() {
  const c = state.current;
  ui.chatHeading.textContent = c ? c.title || 'Untitled' : 'New conversation';
  ui.archive.hidden = !c || c.status !== 'active';
  const items = (c?.messages ?? []).map(renderMessage);
  if (turnShown()) items.push(...state.turn.nodes);
  if (!items.length) items.push(el('li', { className: 'empty' }, 'Ask AIM about bookings, customers, dogs, staff or alerts.'));
  ui.messages.replaceChildren(...items);
  ui.messages.lastElementChild?.scrollIntoView({ block: 'end' });
  renderActions();
}

function renderMessage(m) {
  const tools = m.toolCalls?.length
    ? el(
        'details',
        { className: 'tools' },
        el('summary', {}, `Tools used: ${m.toolCalls.map((t) => t.name).join(', ')}`),
        el(
          'ul',
          {},
          ...m.toolCalls.map((t) =>
            el(
              'li',
              { className: t.isError ? 'tool error' : 'tool' },
              el('code', {}, t.name),
              ` ${t.isError ? 'failed' : 'ok'}, ${t.durationMs ?? 0} ms`,
              el('pre', {}, JSON.stringify(t.input)),
            ),
          ),
        ),
      )
    : null;
  return el(
    'li',
    { className: `message ${m.role}${m.cancelled ? ' stopped' : ''}` },
    el(
      'div',
      { className: 'meta' },
      m.role === 'user' ? 'You' : `AIM${m.modelUsed ? ` (${m.modelUsed})` : ''}`,
      ' · ',
      el('time', { dateTime: m.createdAt }, time(m.createdAt)),
      m.cancelled ? el('span', { className: 'stopped-mark' }, ' · stopped') : null,
    ),
    el('p', { className: 'content' }, m.content),
    m.cancelled ? el('p', { className: 'stopped-note' }, 'Stopped before AIM had finished.') : null,
    tools,
  );
}

// --- A turn being answered -----------------------------------------------------------------

/**
 * A turn as it streams: the staff message, then AIM's answer growing in place. Text before a
 * round of tools is AIM thinking aloud (shown apart, muted); each tool is a chip that turns done
 * or failed; the text after the last tool is the answer.
 */
function createTurn(message) {
  const content = el('p', { className: 'content' });
  const thoughts = el('p', { className: 'thoughts', hidden: true });
  const status = el('p', { className: 'writing' }, 'AIM is thinking…');
  const chips = el('ul', { className: 'tool-chips', ariaLabel: 'Tools', hidden: true });
  const answer = el(
    'li',
    { className: 'message assistant streaming', 'aria-busy': 'true' },
    el('div', { className: 'meta' }, 'AIM · writing…'),
    thoughts,
    chips,
    content,
    status,
  );
  const user = renderMessage({ role: 'user', content: message, createdAt: new Date().toISOString() });
  return {
    message,
    openedIn: state.current?.id ?? null,
    conversationId: state.current?.id ?? null,
    stream: new AbortController(),
    started: false, // the server took the message
    stopping: false,
    text: '', // since the last tool
    thoughts: '',
    chips: new Map(), // tool call id → chip
    actions: [],
    nodes: [user, answer],
    view: { answer, content, thoughts, status, chips },
  };
}

/** Whether the open conversation is the one the running turn belongs to. */
function turnShown() {
  const turn = state.turn;
  if (!turn) return false;
  const open = state.current?.id ?? null;
  return open === turn.openedIn || (open !== null && open === turn.conversationId);
}

/** Shows one event of the running turn. */
function onTurnEvent(turn, event) {
  const view = turn.view;
  const atBottom = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 40;
  switch (event.type) {
    case 'started':
      turn.started = true;
      turn.conversationId = event.conversationId;
      break;
    case 'text_delta':
      turn.text += event.text;
      view.content.textContent = turn.text;
      view.status.hidden = true;
      break;
    case 'tool_call_started': {
      if (turn.text) {
        // What came before the tools was AIM thinking aloud.
        turn.thoughts += (turn.thoughts ? '\n' : '') + turn.text;
        turn.text = '';
        view.thoughts.textContent = turn.thoughts;
        view.thoughts.hidden = false;
        view.content.textContent = '';
      }
      const chip = el(
        'li',
        { className: 'tool-chip running', 'data-tool': event.name },
        el('code', {}, event.name),
        el('span', { className: 'tool-state' }, ' running…'),
      );
      chip.title = JSON.stringify(event.input);
      turn.chips.set(event.id, chip);
      view.chips.append(chip);
      view.chips.hidden = false;
      view.status.textContent = `AIM is using ${event.name}…`;
      view.status.hidden = false;
      break;
    }
    case 'tool_call_finished': {
      const chip = turn.chips.get(event.id);
      if (!chip) break;
      chip.className = `tool-chip ${event.isError ? 'error' : 'done'}`;
      chip.querySelector('.tool-state').textContent = ` ${event.isError ? 'failed' : 'done'}, ${event.durationMs} ms`;
      if (![...turn.chips.values()].some((c) => c.classList.contains('running'))) view.status.textContent = 'AIM is writing…';
      break;
    }
    case 'action_pending':
      turn.actions.push(event.action);
      renderActions();
      break;
    default:
      break;
  }
  if (atBottom && turnShown()) view.answer.scrollIntoView({ block: 'end' });
}

/** Sets the Send and Stop buttons and the turn's status line for `turn` (none: idle). */
function setRunning(turn, status = '') {
  ui.send.disabled = !!turn;
  ui.stop.hidden = !turn;
  ui.stop.disabled = !!turn?.stopping;
  ui.stop.textContent = turn?.stopping ? 'Stopping…' : 'Stop';
  ui.stop.setAttribute('aria-label', turn?.stopping ? 'Stopping the answer' : 'Stop the answer');
  ui.turnStatus.textContent = status;
}

function renderActions() {
  const known = state.current?.actions ?? [];
  const proposed = turnShown() ? state.turn.actions.filter((a) => !known.some((k) => k.id === a.id)) : [];
  const pending = [...proposed, ...known].filter((a) => a.status === 'pending');
  ui.actions.hidden = !pending.length;
  ui.actionList.replaceChildren(
    ...pending.map((a) =>
      el(
        'li',
        { className: 'action' },
        el('p', {}, a.summary),
        el('p', { className: 'meta' }, `${a.tool} · expires ${time(a.expiresAt)}`),
        button('Confirm', () => decide(a, 'confirm'), { ariaLabel: `Confirm: ${a.summary}` }),
        button('Cancel', () => decide(a, 'cancel'), { ariaLabel: `Cancel: ${a.summary}`, className: 'secondary' }),
      ),
    ),
  );
}

async function decide(action, how) {
  ui.chatError.textContent = '';
  try {
    const result = how === 'confirm' ? await client.confirmAction(action.id) : await client.cancelAction(action.id);
    if (result.status === 'failed') ui.chatError.textContent = `Not done: ${result.error}`;
  } catch (err) {
    ui.chatError.textContent = err.message;
  }
  await openConversation(action.conversationId);
}

async function send(event) {
  event.preventDefault();
  const message = ui.message.value.trim();
  if (!message || state.turn) return;
  ui.chatError.textContent = '';
  const turn = createTurn(message);
  state.turn = turn;
  ui.message.value = '';
  setRunning(turn, 'AIM is answering…');
  renderConversation();
  let answer = null;
  let failure = null;
  try {
    answer = await client.chatStream(message, turn.conversationId, {
      signal: turn.stream.signal,
      onEvent: (e) => onTurnEvent(turn, e),
    });
  } catch (err) {
    failure = err;
  }
  if (state.turn !== turn) return; // signed out meanwhile
  const conversationId = answer?.conversationId ?? turn.conversationId;
  const stopped = answer?.cancelled || turn.stream.signal.aborted;
  turn.view.answer.setAttribute('aria-busy', 'false');
  if (failure && !turn.started && !ui.message.value) {
    // Refused or stopped before it started: the message is offered again.
    ui.message.value = message;
  }
  // The stored answer replaces the streamed one, unless another conversation was opened meanwhile.
  try {
    if (conversationId && turnShown()) state.current = await client.getConversation(conversationId);
  } catch (err) {
    failure ??= err;
  }
  if (state.turn !== turn) return;
  state.turn = null;
  renderConversation();
  setRunning(null, stopped ? 'Stopped.' : failure ? '' : 'AIM has answered.');
  if (failure && !turn.stream.signal.aborted) ui.chatError.textContent = failure.message;
  ui.message.focus();
  await loadConversations().catch(() => {});
}

/** Stops the running turn: the server is asked to, or else the stream is closed. */
async function stop() {
  const turn = state.turn;
  if (!turn || turn.stopping) return;
  turn.stopping = true;
  setRunning(turn, 'Stopping…');
  let stopped = false;
  if (turn.started) {
    try {
      stopped = await client.cancelChat(turn.conversationId);
    } catch {
      stopped = false;
    }
  }
  // Not started yet, or the server knew of no running turn: closing the stream stops it.
  if (!stopped && state.turn === turn) turn.stream.abort();
}

async function archive() {
  if (!state.current) return;
  try {
    await client.archiveConversation(state.current.id);
    newConversation();
    await loadConversations();
  } catch (err) {
    ui.chatError.textContent = err.message;
  }
}

// --- Alerts --------------------------------------------------------------------------------

async function loadAlerts(more = false) {
  const page = await client.getAlertsPage({ resolved: false, limit: 20, cursor: more ? state.alertsCursor : undefined });
  if (!more) state.alerts.clear();
  for (const alert of page.alerts) if (!state.alerts.has(alert.id)) state.alerts.set(alert.id, alert);
  state.alertsCursor = page.nextCursor;
  renderAlerts();
}

function renderAlerts() {
  const alerts = [...state.alerts.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  ui.alertList.replaceChildren(
    ...alerts.map((a) => {
      const unread = !a.readAt;
      return el(
        'li',
        { className: `alert ${a.severity}${unread ? ' unread' : ''}`, 'data-alert-id': a.id },
        el('p', { className: 'meta' }, el('span', { className: `severity ${a.severity}` }, a.severity), ` ${a.type.replace(/_/g, ' ')} · `, el('time', { dateTime: a.createdAt }, time(a.createdAt)), unread ? el('strong', { className: 'unread-mark' }, ' · unread') : null),
        el('p', { className: 'title' }, a.title),
        el('p', { className: 'description' }, a.description),
        button('Read', () => act(a, 'read'), { disabled: !unread, ariaLabel: `Mark read: ${a.title}` }),
        button('Resolve', () => act(a, 'resolve'), { ariaLabel: `Resolve: ${a.title}`, className: 'secondary' }),
      );
    }),
  );
  if (!alerts.length) ui.alertList.append(el('li', { className: 'empty' }, 'No open alerts.'));
  ui.moreAlerts.hidden = !state.alertsCursor;
}

async function act(alert, how) {
  try {
    const updated = how === 'read' ? await client.markAlertRead(alert.id) : await client.resolveAlert(alert.id);
    applyAlert(updated);
    refreshCount();
  } catch (err) {
    ui.feedStatus.textContent = err.message;
  }
}

function applyAlert(alert) {
  if (alert.resolvedAt) state.alerts.delete(alert.id);
  else state.alerts.set(alert.id, { ...state.alerts.get(alert.id), ...alert });
  renderAlerts();
}

let countTimer = null;
/** Fetches the unread count again, once for a burst of events. */
function refreshCount() {
  clearTimeout(countTimer);
  countTimer = setTimeout(async () => {
    try {
      setCount(await client.getUnreadAlertCount());
    } catch {
      // The next event or reconnection tries again.
    }
  }, 100);
}

function setCount(n) {
  ui.unreadCount.textContent = String(n);
  ui.unreadCount.parentElement.classList.toggle('zero', n === 0);
  document.title = n ? `(${n}) AIM chat console` : 'AIM chat console';
}

const STATUS = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  unauthorized: 'signed out',
  closed: 'stopped',
};

function startFeed() {
  state.stopFeed?.();
  state.stopFeed = client.subscribeAlerts(
    (event) => {
      applyAlert(event.alert);
      refreshCount();
    },
    {
      onStatus: (status) => {
        ui.feedStatus.textContent = STATUS[status] ?? status;
        ui.feedStatus.dataset.status = status;
        // Connected: what changed before the socket was up (or while it was down, beyond the
        // replay) is picked up by fetching the list and the count again.
        if (status === 'live') {
          refreshCount();
          loadAlerts().catch(() => {});
        }
      },
    },
  );
}

// --- Session -------------------------------------------------------------------------------

async function start(session) {
  state.stopFeed?.();
  state.stopFeed = null;
  state.turn?.stream.abort();
  state.turn = null;
  setRunning(null);
  ui.console.hidden = !session;
  ui.signedOut.hidden = !!session;
  if (!session) return;
  state.current = null;
  renderConversation();
  startFeed();
  try {
    await Promise.all([loadConversations(), loadAlerts(), client.getUnreadAlertCount().then(setCount)]);
  } catch (err) {
    ui.chatError.textContent = err.message;
  }
}

ui.composer.addEventListener('submit', send);
ui.message.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.composer.requestSubmit();
  } else if (event.key === 'Escape' && state.turn) {
    event.preventDefault();
    void stop();
  }
});
ui.stop.addEventListener('click', () => void stop());
ui.newConversation.addEventListener('click', newConversation);
ui.archive.addEventListener('click', archive);
ui.moreConversations.addEventListener('click', () => loadConversations(true));
ui.moreAlerts.addEventListener('click', () => loadAlerts(true));

mountSignIn($('signin'));
let signedInAs = currentSession()?.token ?? null;
onSessionChange((session) => {
  if ((session?.token ?? null) === signedInAs) return;
  signedInAs = session?.token ?? null;
  void start(session);
});
void start(currentSession());
