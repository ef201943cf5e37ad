// /playground/chat: the staff chat console, built on the admin client. Conversations (paged),
// the open conversation's messages with the tools each answer used, the actions AIM proposed
// (confirm or cancel), and the live alert feed with its unread count.

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
  pending: null, // the message being answered
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
  if (state.pending) {
    items.push(renderMessage({ role: 'user', content: state.pending, createdAt: new Date().toISOString() }));
    items.push(el('li', { className: 'message assistant thinking' }, el('p', {}, 'AIM is thinking…')));
  }
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
    { className: `message ${m.role}` },
    el('div', { className: 'meta' }, m.role === 'user' ? 'You' : `AIM${m.modelUsed ? ` (${m.modelUsed})` : ''}`, ' · ', el('time', { dateTime: m.createdAt }, time(m.createdAt))),
    el('p', { className: 'content' }, m.content),
    tools,
  );
}

function renderActions() {
  const pending = (state.current?.actions ?? []).filter((a) => a.status === 'pending');
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
  if (!message || state.pending) return;
  ui.chatError.textContent = '';
  state.pending = message;
  ui.message.value = '';
  ui.send.disabled = true;
  renderConversation();
  try {
    const answer = await client.chat(message, state.current?.id);
    state.pending = null;
    state.current = await client.getConversation(answer.conversationId);
    renderConversation();
    await loadConversations();
  } catch (err) {
    state.pending = null;
    ui.message.value = message;
    ui.chatError.textContent = err.message;
    renderConversation();
  } finally {
    ui.send.disabled = false;
    ui.message.focus();
  }
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
  }
});
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
