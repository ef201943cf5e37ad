// The server-sent events reader and `chatStream` over a scripted `fetch`: no server needed.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { AimApiError, createAimClient, createEventStreamParser, readEventStream } from '../src/index.js';

/** A stream of a turn as the server writes it: LF line ends, a keep-alive, two-line data. */
const TURN = [
  ': keep-alive',
  '',
  'event: started',
  'data: {"conversationId":"c1"}',
  '',
  'event: text_delta',
  'data: {"text":"Let me look 🐕"}',
  '',
  'event: tool_call_started',
  'data: {"id":"t1","name":"get_today_summary","input":{}}',
  '',
  ':',
  'event: tool_call_finished',
  'data: {"id":"t1","name":"get_today_summary",',
  'data: "isError":false,"durationMs":3}',
  '',
  'event: text_delta',
  'data:{"text":" — 12 dogs."}',
  '',
  'event: completed',
  'data: {"responseText":"12 dogs.","conversationId":"c1","toolsUsed":["get_today_summary"],"modelUsed":"aim-offline","messageId":"m1","cancelled":false}',
  '',
  '',
].join('\n');

const EXPECTED = [
  { event: 'started', data: '{"conversationId":"c1"}', id: '' },
  { event: 'text_delta', data: '{"text":"Let me look 🐕"}', id: '' },
  { event: 'tool_call_started', data: '{"id":"t1","name":"get_today_summary","input":{}}', id: '' },
  { event: 'tool_call_finished', data: '{"id":"t1","name":"get_today_summary",\n"isError":false,"durationMs":3}', id: '' },
  { event: 'text_delta', data: '{"text":" — 12 dogs."}', id: '' },
  {
    event: 'completed',
    data: '{"responseText":"12 dogs.","conversationId":"c1","toolsUsed":["get_today_summary"],"modelUsed":"aim-offline","messageId":"m1","cancelled":false}',
    id: '',
  },
];

function parse(pieces) {
  const events = [];
  const parser = createEventStreamParser((e) => events.push(e));
  for (const piece of pieces) parser.push(piece);
  return events;
}

/** A body that delivers `bytes` in the pieces cut at `cuts`. */
function body(bytes, cuts = []) {
  const pieces = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(bytes.slice(start, cut));
    start = cut;
  }
  return new ReadableStream({
    pull(controller) {
      if (pieces.length) controller.enqueue(pieces.shift());
      else controller.close();
    },
  });
}

async function readAll(stream) {
  const events = [];
  for await (const e of readEventStream(stream)) events.push(e);
  return events;
}

describe('server-sent events', () => {
  test('events split anywhere across pieces are read whole', () => {
    assert.deepEqual(parse([TURN]), EXPECTED);
    for (let cut = 1; cut < TURN.length; cut++) {
      assert.deepEqual(parse([TURN.slice(0, cut), TURN.slice(cut)]), EXPECTED, `cut at ${cut}`);
    }
    assert.deepEqual(parse([...TURN]), EXPECTED, 'one character at a time');
  });

  test('CRLF and CR end lines too, also when a CRLF is split between pieces', () => {
    for (const eol of ['\r\n', '\r']) {
      const text = TURN.replace(/\n/g, eol);
      assert.deepEqual(parse([text]), EXPECTED, JSON.stringify(eol));
      assert.deepEqual(parse([...text]), EXPECTED, `${JSON.stringify(eol)}, one character at a time`);
    }
    assert.deepEqual(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']), [{ event: 'message', data: 'a\nb', id: '' }]);
  });

  test('comments, events without data and unknown fields are skipped; ids are kept', () => {
    const text = ':hello\n\nevent: nothing\n\nretry: 10\nid: 7\nfoo: bar\ndata\ndata: x\n\ndata: y\n\n';
    assert.deepEqual(parse([text]), [
      { event: 'message', data: '\nx', id: '7' },
      { event: 'message', data: 'y', id: '7' },
    ]);
  });

  test('an event not yet ended by a blank line is not dispatched', () => {
    assert.deepEqual(parse(['event: text_delta\ndata: {"text":"a"}\n']), []);
  });

  test('readEventStream decodes UTF-8 split between chunks, at every byte', async () => {
    const bytes = new TextEncoder().encode(TURN);
    assert.deepEqual(await readAll(body(bytes)), EXPECTED);
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.deepEqual(await readAll(body(bytes, [cut])), EXPECTED, `cut at byte ${cut}`);
    }
  });

  test('stopping the iteration cancels the body', async () => {
    let cancelled = false;
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: 1\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const e of readEventStream(stream)) {
      assert.equal(e.data, '1');
      break;
    }
    assert.ok(cancelled);
  });
});

/** A client whose fetch answers `response()` and records the request. */
function scripted(response) {
  const requests = [];
  const c = createAimClient({
    baseUrl: 'http://aim.test',
    token: 't0k3n',
    fetch: async (url, init) => {
      requests.push({ url, ...init });
      return response(init);
    },
  });
  return { c, requests };
}

const sse = (text, cuts) =>
  new Response(body(new TextEncoder().encode(text), cuts), { headers: { 'Content-Type': 'text/event-stream' } });

describe('chatStream over a scripted server', () => {
  test('posts for an event stream, hears each event in order and resolves with the answer', async () => {
    const { c, requests } = scripted(() => sse(TURN, [5, 100, 101, 300]));
    const events = [];
    const answer = await c.chatStream("How's today looking?", 'c1', { onEvent: (e) => events.push(e) });
    assert.deepEqual(answer, {
      responseText: '12 dogs.',
      conversationId: 'c1',
      toolsUsed: ['get_today_summary'],
      modelUsed: 'aim-offline',
      messageId: 'm1',
      cancelled: false,
    });
    assert.deepEqual(
      events.map((e) => e.type),
      ['started', 'text_delta', 'tool_call_started', 'tool_call_finished', 'text_delta', 'completed'],
    );
    assert.deepEqual(events[3], { type: 'tool_call_finished', id: 't1', name: 'get_today_summary', isError: false, durationMs: 3 });
    assert.equal(events[5].response, answer);

    const [request] = requests;
    assert.equal(request.url, 'http://aim.test/api/v2/admin/aim/chat');
    assert.equal(request.method, 'POST');
    assert.equal(request.headers.Accept, 'text/event-stream');
    assert.equal(request.headers.Authorization, 'Bearer t0k3n');
    assert.deepEqual(JSON.parse(request.body), { message: "How's today looking?", conversationId: 'c1' });
  });

  test('a failed event rejects with its AimApiError', async () => {
    const failed = 'event: started\ndata: {"conversationId":"c1"}\n\nevent: failed\ndata: {"error":{"code":"llm_unavailable","message":"The model is unavailable","requestId":"r1"}}\n\n';
    const { c } = scripted(() => sse(failed));
    const events = [];
    await assert.rejects(c.chatStream('hi', null, { onEvent: (e) => events.push(e) }), (err) => {
      assert.ok(err instanceof AimApiError);
      assert.equal(err.code, 'llm_unavailable');
      assert.equal(err.message, 'The model is unavailable');
      assert.equal(err.requestId, 'r1');
      return true;
    });
    assert.equal(events.at(-1).type, 'failed');
  });

  test('a refusal before the turn is an AimApiError with its status', async () => {
    let heard = null;
    const c = createAimClient({
      onUnauthorized: (err) => (heard = err),
      fetch: async () =>
        new Response('{"error":{"code":"unauthorized","message":"Sign in first","requestId":"r2"}}', {
          status: 401,
          headers: { 'Content-Type': 'application/json' },
        }),
    });
    await assert.rejects(c.chatStream('hi'), { name: 'AimApiError', status: 401, code: 'unauthorized', requestId: 'r2' });
    assert.equal(heard?.status, 401);
  });

  test('a stream that ends before the answer is complete rejects', async () => {
    const { c } = scripted(() => sse('event: started\ndata: {"conversationId":"c1"}\n\nevent: text_delta\ndata: {"text":"Hal'));
    await assert.rejects(c.chatStream('hi'), { name: 'AimApiError', status: 0 });
  });

  test('a connection that breaks off is an AimApiError with status 0', async () => {
    const { c } = scripted(() => {
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('event: started\ndata: {"conversationId":"c1"}\n\n'));
          controller.error(new TypeError('terminated'));
        },
      });
      return new Response(stream, { headers: { 'Content-Type': 'text/event-stream' } });
    });
    await assert.rejects(c.chatStream('hi'), { name: 'AimApiError', status: 0, code: 'network' });
  });

  test('aborting the signal closes the stream and rejects with its reason', async () => {
    const { c } = scripted((init) => {
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('event: started\ndata: {"conversationId":"c1"}\n\n'));
          // What fetch does when its signal is aborted while the body is read.
          init.signal.addEventListener('abort', () => controller.error(init.signal.reason));
        },
      });
      return new Response(stream, { headers: { 'Content-Type': 'text/event-stream; charset=utf-8' } });
    });
    const stop = new AbortController();
    const turn = c.chatStream('hi', null, { signal: stop.signal, onEvent: (e) => e.type === 'started' && stop.abort() });
    await assert.rejects(turn, { name: 'AbortError' });
  });

  test('aborting while events that arrived together are reported stops at once', async () => {
    const { c } = scripted(() => sse(TURN));
    const stop = new AbortController();
    const events = [];
    const turn = c.chatStream('hi', null, {
      signal: stop.signal,
      onEvent: (e) => {
        events.push(e.type);
        if (e.type === 'started') stop.abort();
      },
    });
    await assert.rejects(turn, { name: 'AbortError' });
    assert.deepEqual(events, ['started']);
  });

  test('a server that answers JSON instead of a stream still gives the answer', async () => {
    const { c } = scripted(
      () => new Response('{"responseText":"Hi","conversationId":"c1","toolsUsed":[],"modelUsed":"m","messageId":"m1"}', {
        headers: { 'Content-Type': 'application/json' },
      }),
    );
    const events = [];
    const answer = await c.chatStream('hi', null, { onEvent: (e) => events.push(e) });
    assert.equal(answer.responseText, 'Hi');
    assert.equal(answer.cancelled, false);
    assert.deepEqual(events.map((e) => e.type), ['completed']);
  });

  test('cancelChat posts to the conversation\'s cancel path and answers whether a turn was stopped', async () => {
    const { c, requests } = scripted(() => new Response('{"cancelled":true}', { headers: { 'Content-Type': 'application/json' } }));
    assert.equal(await c.cancelChat('c 1'), true);
    assert.equal(requests[0].url, 'http://aim.test/api/v2/admin/aim/conversations/c%201/cancel');
    assert.equal(requests[0].method, 'POST');
  });
});
