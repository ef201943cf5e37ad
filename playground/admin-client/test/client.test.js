// The admin client against a real `aim serve --demo` (offline model, fresh SQLite database).
// Run from playground/: `npm run test:client` (needs target/debug/aim, or AIM_BIN).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';

import { AimApiError, createAimClient, nextCursor } from '../src/index.js';
import { DEMO_EMAIL, DEMO_PASSWORD, DEMO_STAFF_EMAIL, startServer, waitFor } from '../../tests/server.mjs';

let server;
/** A client signed in as the demo manager. */
let manager;

before(async () => {
  server = await startServer();
  manager = createAimClient({ baseUrl: server.url, WebSocket });
  await manager.login(DEMO_EMAIL, DEMO_PASSWORD);
});
after(async () => server?.stop());

const client = (options = {}) => createAimClient({ baseUrl: server.url, WebSocket, ...options });

/** Collects subscription events until stopped. */
function collect(c, options = {}) {
  const events = [];
  const statuses = [];
  const stop = c.subscribeAlerts((event) => events.push(event), {
    ...options,
    onStatus: (s) => statuses.push(s),
  });
  // `live` is the server's acknowledgement; the subscription itself follows it on the socket,
  // so give the server a moment to start it before the test changes anything.
  const live = async () => {
    await waitFor(() => statuses.includes('live'), 'the subscription to be live');
    await new Promise((r) => setTimeout(r, 250));
  };
  return { events, statuses, stop, live };
}

describe('session', () => {
  test('login answers a token, its expiry and the staff user, and later calls carry it', async () => {
    const c = client();
    const answer = await c.login(DEMO_STAFF_EMAIL, DEMO_PASSWORD);
    assert.equal(typeof answer.token, 'string');
    assert.ok(Date.parse(answer.expiresAt) > Date.now());
    assert.equal(answer.staffUser.email, DEMO_STAFF_EMAIL);
    assert.equal(c.token, answer.token);
    assert.equal((await c.me()).email, DEMO_STAFF_EMAIL);
  });

  test('a wrong password is an AimApiError 401', async () => {
    await assert.rejects(client().login(DEMO_EMAIL, 'not-the-password'), (err) => {
      assert.ok(err instanceof AimApiError);
      assert.equal(err.status, 401);
      assert.ok(err.code);
      assert.ok(err.requestId, 'the request id of the error');
      return true;
    });
  });

  test('without a token calls fail with 401 and onUnauthorized hears of it', async () => {
    let heard = null;
    const c = client({ onUnauthorized: (err) => (heard = err) });
    await assert.rejects(c.getAlerts(), { name: 'AimApiError', status: 401 });
    assert.equal(heard?.status, 401);
  });

  test('getToken supplies the token of each call', async () => {
    const c = client({ getToken: () => manager.token });
    assert.equal((await c.me()).email, DEMO_EMAIL);
  });
});

describe('chat and conversations (the seed\'s adminAimApi)', () => {
  test('chat answers with the facility context and the tools used; history persists', async () => {
    const first = await manager.chat("How's today looking?");
    assert.ok(first.responseText.length > 20);
    assert.equal(first.modelUsed, 'aim-offline');
    assert.equal(first.cancelled, false);
    assert.ok(first.toolsUsed.includes('get_today_summary'), first.toolsUsed.join());
    assert.match(first.conversationId, /^[0-9a-f-]{36}$/);

    const second = await manager.chat('Search for customer Mark Huggins', first.conversationId);
    assert.equal(second.conversationId, first.conversationId);
    assert.ok(second.toolsUsed.includes('search_customer'), second.toolsUsed.join());
    assert.match(second.responseText, /Mark Huggins/);

    const detail = await manager.getConversation(first.conversationId);
    assert.equal(detail.id, first.conversationId);
    assert.equal(detail.title, "How's today looking?");
    assert.deepEqual(detail.messages.map((m) => m.role), ['user', 'assistant', 'user', 'assistant']);
    const tools = detail.messages[1].toolCalls;
    assert.ok(Array.isArray(tools) && tools.some((t) => t.name === 'get_today_summary'));
    assert.equal(typeof tools[0].isError, 'boolean');
    assert.deepEqual(detail.messages.map((m) => m.cancelled), [false, false, false, false]);
  });

  test('a chat answer lost on the way is asked for again with the same key and answered once', async () => {
    const keys = [];
    let lost = 0;
    // The first answer is received by the server's side and then lost, as on a dropped connection.
    const losing = async (url, init) => {
      const response = await fetch(url, init);
      if (init?.headers?.['Idempotency-Key']) keys.push(init.headers['Idempotency-Key']);
      if (url.endsWith('/admin/aim/chat') && lost++ === 0) {
        await response.text();
        throw new TypeError('fetch failed: the connection was reset');
      }
      return response;
    };
    const c = client({ fetch: losing, token: manager.token });
    const answer = await c.chat('Search for customer Mark Huggins');
    assert.match(answer.responseText, /Mark Huggins/);
    assert.equal(keys.length, 2, 'asked twice');
    assert.equal(keys[0], keys[1], 'with the same key');
    assert.match(keys[0], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const detail = await c.getConversation(answer.conversationId);
    assert.deepEqual(detail.messages.map((m) => m.role), ['user', 'assistant'], 'one turn ran');
    assert.equal(detail.messages[1].id, answer.messageId);
    // A new message gets a new key.
    await c.chat('And Pepper?', answer.conversationId);
    assert.notEqual(keys.at(-1), keys[0]);
  });

  test('getConversations lists the caller\'s conversations, newest first, paged by cursor', async () => {
    const c = client();
    await c.login(DEMO_STAFF_EMAIL, DEMO_PASSWORD);
    const a = await c.chat("How's today looking?");
    const b = await c.chat('Search for customer Mark Huggins');
    const all = await c.getConversations();
    assert.deepEqual(all.map((x) => x.id), [b.conversationId, a.conversationId]);

    const page1 = await c.getConversationsPage({ limit: 1 });
    assert.deepEqual(page1.conversations.map((x) => x.id), [b.conversationId]);
    assert.ok(page1.nextCursor);
    const page2 = await c.getConversationsPage({ limit: 1, cursor: page1.nextCursor });
    assert.deepEqual(page2.conversations.map((x) => x.id), [a.conversationId]);
    assert.equal(page2.nextCursor, null);

    // Someone else's conversation is not found.
    await assert.rejects(manager.getConversation(a.conversationId), { status: 404, code: 'not_found' });
  });

  test('archiveConversation archives it and takes it off the active list', async () => {
    const { conversationId } = await manager.chat('How many dogs are here today?');
    const archived = await manager.archiveConversation(conversationId);
    assert.equal(archived.status, 'archived');
    assert.ok(!(await manager.getConversations()).some((x) => x.id === conversationId));
    assert.ok((await manager.getConversations({ status: 'archived' })).some((x) => x.id === conversationId));
  });

  test('a proposed booking is confirmed once; another is cancelled', async () => {
    const c = client();
    await c.login(DEMO_STAFF_EMAIL, DEMO_PASSWORD);
    const answer = await c.chat('Book Pepper for daycare next Friday');
    const [action] = answer.pendingActions ?? [];
    assert.ok(action, 'a pending action');
    assert.equal(action.status, 'pending');
    assert.equal((await c.getAction(action.id)).id, action.id);
    // Only the conversation's owner decides.
    await assert.rejects(manager.confirmAction(action.id), { status: 404 });
    const confirmed = await c.confirmAction(action.id);
    assert.equal(confirmed.status, 'executed', JSON.stringify(confirmed));
    assert.equal((await c.confirmAction(action.id)).status, 'executed');
    await assert.rejects(c.cancelAction(action.id), { status: 409 });

    const other = await c.chat('Book Pepper for daycare next Friday');
    const second = other.pendingActions?.[0];
    if (second) {
      assert.equal((await c.cancelAction(second.id)).status, 'cancelled');
    }
  });
});

describe('streamed chat turns', () => {
  /** Sends `message` with chatStream; the answer and the events heard, in order. */
  async function stream(c, message, conversationId, onEvent) {
    const events = [];
    const answer = await c.chatStream(message, conversationId, {
      onEvent: (event) => {
        events.push(event);
        onEvent?.(event);
      },
    });
    return { answer, events };
  }

  test('the text deltas make up the answer, and each tool is bracketed by its start and finish', async () => {
    const { answer, events } = await stream(manager, "How's today looking?");
    assert.equal(events[0].type, 'started');
    assert.equal(events[0].conversationId, answer.conversationId);
    assert.equal(events.at(-1).type, 'completed');
    assert.deepEqual(events.at(-1).response, answer);
    assert.equal(answer.cancelled, false);
    assert.equal(answer.modelUsed, 'aim-offline');

    // The text after the last tool is the answer, written in several pieces.
    const lastTool = events.findLastIndex((e) => e.type === 'tool_call_finished');
    const deltas = events.slice(lastTool + 1).filter((e) => e.type === 'text_delta');
    assert.ok(deltas.length > 1, `the answer in pieces, got ${deltas.length}`);
    assert.equal(deltas.map((e) => e.text).join(''), answer.responseText);

    const started = events.filter((e) => e.type === 'tool_call_started');
    assert.ok(started.some((e) => e.name === 'get_today_summary'), started.map((e) => e.name).join());
    for (const call of started) {
      const finished = events.findIndex((e) => e.type === 'tool_call_finished' && e.id === call.id);
      assert.ok(finished > events.indexOf(call), `${call.name} finishes after it starts`);
      assert.equal(events[finished].name, call.name);
      assert.equal(events[finished].isError, false);
      assert.equal(typeof events[finished].durationMs, 'number');
    }
    assert.deepEqual([...new Set(started.map((e) => e.name))].sort(), [...answer.toolsUsed].sort());

    // The streamed answer is stored like any other.
    const detail = await manager.getConversation(answer.conversationId);
    const stored = detail.messages.at(-1);
    assert.equal(stored.id, answer.messageId);
    assert.equal(stored.content, answer.responseText);
    assert.notEqual(stored.cancelled, true);
  });

  test('a proposed booking arrives as action_pending, in the answer\'s pendingActions too', async () => {
    const c = client();
    await c.login(DEMO_STAFF_EMAIL, DEMO_PASSWORD);
    const { answer, events } = await stream(c, 'Book Pepper for daycare next Thursday');
    const pending = events.filter((e) => e.type === 'action_pending').map((e) => e.action);
    assert.equal(pending.length, 1, events.map((e) => e.type).join());
    assert.equal(pending[0].status, 'pending');
    assert.deepEqual(answer.pendingActions?.map((a) => a.id), [pending[0].id]);
    assert.equal((await c.cancelAction(pending[0].id)).status, 'cancelled');
  });

  test('a turn continues the conversation it is given', async () => {
    const first = await manager.chat("How's today looking?");
    const { answer } = await stream(manager, 'Search for customer Mark Huggins', first.conversationId);
    assert.equal(answer.conversationId, first.conversationId);
    assert.match(answer.responseText, /Mark Huggins/);
  });

  test('without a token the stream is refused with 401 before it starts', async () => {
    let heard = null;
    const events = [];
    const c = client({ onUnauthorized: (err) => (heard = err) });
    await assert.rejects(c.chatStream('hi', null, { onEvent: (e) => events.push(e) }), (err) => {
      assert.ok(err instanceof AimApiError);
      assert.equal(err.status, 401);
      assert.ok(err.requestId);
      return true;
    });
    assert.equal(heard?.status, 401);
    assert.deepEqual(events, []);
  });

  test('a message too long is refused with 422 naming the field', async () => {
    await assert.rejects(manager.chatStream('x'.repeat(4001)), { name: 'AimApiError', status: 422, field: 'message' });
  });

  test('an unknown conversation is refused with 404', async () => {
    await assert.rejects(manager.chatStream('hi', '00000000-0000-4000-8000-000000000000'), {
      name: 'AimApiError',
      status: 404,
      code: 'not_found',
    });
  });

  test('cancelChat answers false when nothing runs; a stopped turn completes as cancelled', async () => {
    const first = await manager.chat("How's today looking?");
    assert.equal(await manager.cancelChat(first.conversationId), false);

    // Stopped as soon as it starts; the offline model may still finish first, and then there
    // was nothing to stop. Either way the answer, the stream and the stored message agree.
    let stopped = null;
    const { answer, events } = await stream(manager, "How's today looking?", first.conversationId, (event) => {
      if (event.type === 'started') stopped = manager.cancelChat(event.conversationId);
    });
    const cancelled = await stopped;
    assert.equal(typeof cancelled, 'boolean');
    assert.equal(answer.cancelled, cancelled);
    assert.equal(events.at(-1).type, 'completed');
    const said = events.filter((e) => e.type === 'text_delta').map((e) => e.text).join('');
    if (cancelled) assert.ok(said.endsWith(answer.responseText), 'what was said so far');
    const stored = (await manager.getConversation(first.conversationId)).messages.at(-1);
    assert.equal(stored.role, 'assistant');
    assert.equal(stored.cancelled === true, cancelled);
  });

  test('aborting the signal closes the stream and rejects', async () => {
    const stop = new AbortController();
    const turn = manager.chatStream("How's today looking?", null, {
      signal: stop.signal,
      onEvent: (event) => event.type === 'started' && stop.abort(),
    });
    await assert.rejects(turn, { name: 'AbortError' });
  });
});

describe('alerts', () => {
  test('getAlerts lists alerts newest first; true: the unread ones', async () => {
    const all = await manager.getAlerts();
    assert.ok(all.length > 0, 'the demo facility raises alerts at start-up');
    const created = all.map((a) => a.createdAt);
    assert.deepEqual(created, [...created].sort().reverse());
    for (const a of all) {
      assert.match(a.type, /^(staffing_gap|capacity_warning|compliance|weather|booking_spike)$/);
      assert.match(a.severity, /^(info|warning|critical)$/);
    }
    const unread = await manager.getAlerts(true);
    assert.ok(unread.every((a) => a.readAt === null));
    const page = await manager.getAlertsPage({ limit: 1 });
    assert.equal(page.alerts.length, 1);
    assert.equal(page.nextCursor !== null, all.length > 1);
  });

  test('markAlertRead, resolveAlert and the unread count; the subscription sees both, in the REST shape', async () => {
    const feed = collect(manager);
    await feed.live();
    try {
      const [alert] = await manager.getAlerts(true);
      assert.ok(alert, 'an unread alert');
      const before = await manager.getUnreadAlertCount();
      const read = await manager.markAlertRead(alert.id);
      assert.ok(read.readAt);
      assert.equal(await manager.getUnreadAlertCount(), before - 1);
      const again = await manager.markAlertRead(alert.id);
      assert.equal(again.readAt, read.readAt, 'read once');
      const resolved = await manager.resolveAlert(alert.id);
      assert.ok(resolved.resolvedAt);

      await waitFor(() => feed.events.length >= 2, 'two events');
      const [e1, e2] = feed.events;
      assert.deepEqual([e1.kind, e2.kind], ['read', 'resolved']);
      assert.equal(e1.alert.id, alert.id);
      assert.equal(e1.alert.type, alert.type, 'lower-case type, as REST');
      assert.equal(e1.alert.severity, alert.severity);
      assert.ok(e1.cursor && e2.cursor && e1.cursor !== e2.cursor);
    } finally {
      feed.stop();
    }
  });

  test('subscribeAlerts resumes after a cursor: what happened meanwhile comes first, nothing twice', async () => {
    const first = collect(manager);
    await first.live();
    const [a, b] = await manager.getAlerts(true);
    assert.ok(a && b, 'two unread alerts');
    await manager.markAlertRead(a.id);
    await waitFor(() => first.events.length === 1, 'the first event');
    first.stop();
    assert.deepEqual(first.statuses.slice(-1), ['closed']);

    await manager.markAlertRead(b.id); // while no one listens
    const second = collect(manager, { after: first.events[0].cursor });
    try {
      await waitFor(() => second.events.length >= 1, 'the missed event');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(second.events.map((e) => [e.kind, e.alert.id]), [['read', b.id]]);
    } finally {
      second.stop();
    }
  });

  test('subscribeAlerts reconnects after the server restarts and misses nothing', async () => {
    // A server of its own, restarted on the same port and database.
    const first = await startServer();
    const bind = new URL(first.url).host;
    let second = null;
    const c = client({ baseUrl: first.url });
    await c.login(DEMO_EMAIL, DEMO_PASSWORD);
    const feed = collect(c);
    try {
      await feed.live();
      const [a, b] = await c.getAlerts(true);
      assert.ok(a && b, 'two unread alerts');
      await c.markAlertRead(a.id);
      await waitFor(() => feed.events.length === 1, 'the event before the restart');

      await first.stop(true);
      await waitFor(() => feed.statuses.includes('reconnecting'), 'the client to notice');
      second = await startServer({ dir: first.dir, bind });
      await c.markAlertRead(b.id); // possibly before the client is back: replayed then
      await waitFor(() => feed.events.length >= 2, 'the event after the restart', 30_000);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(feed.events.map((e) => [e.kind, e.alert.id]), [['read', a.id], ['read', b.id]]);
      assert.equal(feed.statuses.at(-1), 'live');
    } finally {
      feed.stop();
      await second?.stop();
      await first.stop(); // removes the database
    }
  });

  test('a subscription without a valid token is refused, not retried', async () => {
    const errors = [];
    const statuses = [];
    const stop = client({ token: 'not-a-token' }).subscribeAlerts(() => {}, {
      onError: (err) => errors.push(err),
      onStatus: (s) => statuses.push(s),
    });
    try {
      await waitFor(() => statuses.includes('unauthorized'), 'the refusal');
      assert.equal(errors[0].code, 4403);
    } finally {
      stop();
    }
  });
});

test('nextCursor reads the cursor of a Link rel="next" header', () => {
  assert.equal(nextCursor('</api/v2/admin/aim/alerts?limit=1&cursor=abc_-1>; rel="next"'), 'abc_-1');
  assert.equal(nextCursor(null), null);
  assert.equal(nextCursor('</x?cursor=a>; rel="prev"'), null);
});
