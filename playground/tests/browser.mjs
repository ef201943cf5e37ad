// The playground in a real browser (Debian's chromium driven by playwright-core) against
// `aim serve --demo` with the offline model:
//   - the chat console: sign in, ask "How's today looking?", see the answer written in steps
//     with its tools as chips and a Stop button meanwhile, then the stored answer and its tools;
//     confirm a booking AIM proposes; Stop before the turn starts; an answer stored as stopped
//     is marked so;
//   - the live alert feed: another client marks an alert read, the badge and the list follow;
//   - the front desk: sign in, today's groups, counts and compliance flags; a booking made by
//     another client appears as expected by itself (polling), Check in moves it to On site and
//     Check out to Departed; No-show asks first; a check-in the server refuses (a colleague
//     was quicker) says why beside the booking;
//   - GraphiQL: sign in, run `{ me { email } }`, see the email; the schema loads; a
//     subscription resumed after a cursor receives the alert events since, over the WebSocket;
// and nothing is loaded from another host, nothing breaks the Content-Security-Policy, the chat
// console and the front desk load none of GraphiQL's code or styles.
//
// CHROMIUM overrides the browser binary (default: `chromium` on the PATH).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';

import { createAimClient } from '@happytail/aim-admin-client';
import { DEMO_EMAIL, DEMO_PASSWORD, startServer, waitFor } from './server.mjs';

const executablePath = process.env.CHROMIUM || execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();

const server = await startServer();
const origin = new URL(server.url).origin;
// `serve --demo` announces the pages.
assert.match(server.output(), new RegExp(`Playground: +${server.url}/playground`));
const problems = [];
let browser;
const pages = [];
/** The URLs each page requested, by page name. */
const requests = new Map();
/** The cursor of the event of the read done by another client, for GraphiQL to resume after. */
let readCursor;

function watch(page, name) {
  pages.push([name, page]);
  page.on('pageerror', (err) => problems.push(`${name}: uncaught ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content.Security.Policy|Refused to/i.test(msg.text())) {
      problems.push(`${name}: ${msg.text()}`);
    }
  });
  const requested = [];
  requests.set(name, requested);
  page.on('request', (request) => {
    const url = request.url();
    requested.push(url);
    if (/^(https?|wss?):/.test(url) && new URL(url).host !== new URL(origin).host) {
      problems.push(`${name}: requested another host: ${url}`);
    }
  });
}

async function step(name, body) {
  const started = Date.now();
  await body();
  console.log(`ok - ${name} (${Date.now() - started} ms)`);
}

try {
  browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });

  // --- The chat console -----------------------------------------------------------------
  const consoleContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const chat = await consoleContext.newPage();
  watch(chat, 'chat console');

  await step('chat console: sign in', async () => {
    await chat.goto(`${server.url}/playground/chat`);
    await chat.getByLabel('Email').fill(DEMO_EMAIL);
    await chat.getByLabel('Password').fill(DEMO_PASSWORD);
    await chat.getByRole('button', { name: 'Sign in' }).click();
    await chat.getByRole('status').filter({ hasText: `Signed in as ${DEMO_EMAIL}` }).waitFor();
    await chat.locator('#feed-status[data-status="live"]').waitFor();
    // The console shares graphql-js with GraphiQL but loads nothing else of it.
    const graphiqlAssets = requests.get('chat console').filter((url) => /\/assets\/graphiql-/.test(url));
    assert.deepEqual(graphiqlAssets, [], 'the chat console loads no GraphiQL chunk or styles');
  });

  await step('chat console: "How\'s today looking?" is answered as AIM writes it', async () => {
    // What the streamed turn looked like at each change of the page, whenever it happened:
    // the answer's text at each step, the tool chips and the Stop button while AIM wrote.
    await chat.evaluate(() => {
      const seen = { texts: [], chipsWhileWriting: [], chipsDone: [], stopWhileWriting: false };
      window.streamSeen = seen;
      new MutationObserver((records) => {
        for (const r of records) {
          const streaming = r.target instanceof Element ? r.target.closest('.message.streaming') : null;
          if (!streaming) continue;
          if (!document.getElementById('stop').hidden) seen.stopWhileWriting = true;
          if (r.target.matches('.content')) {
            // Emptied when AIM turns to tools: what it wrote so far was thinking aloud.
            if (!r.addedNodes.length) seen.texts = [];
            for (const node of r.addedNodes) if (node.nodeType === Node.TEXT_NODE) seen.texts.push(node.data);
          }
          for (const node of r.addedNodes) {
            if (node instanceof Element && node.matches('.tool-chip') && streaming.getAttribute('aria-busy') === 'true') {
              seen.chipsWhileWriting.push(`${node.dataset.tool} ${node.className}`);
            }
          }
          if (r.type === 'attributes' && r.target.matches('.tool-chip.done')) seen.chipsDone.push(r.target.dataset.tool);
        }
      }).observe(document.getElementById('messages'), { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] });
    });
    const message = chat.getByLabel('Message to AIM');
    await message.fill("How's today looking?");
    await message.press('Enter');
    const stop = chat.getByRole('button', { name: 'Stop the answer' });
    // The stored answer replaces the streamed one once the turn is complete.
    const answer = chat.locator('#messages .message.assistant:not(.streaming)').first();
    await answer.waitFor({ timeout: 30_000 });
    await stop.waitFor({ state: 'hidden' });
    const text = await answer.locator('.content').innerText();
    assert.ok(text.trim().length > 20, `an answer, got ${JSON.stringify(text)}`);
    const tools = await answer.locator('.tools summary').innerText();
    assert.match(tools, /get_today_summary/);

    const seen = await chat.evaluate(() => window.streamSeen);
    const texts = seen.texts.filter(Boolean);
    assert.ok(texts.length > 1, `the answer appeared in steps, saw ${JSON.stringify(texts)}`);
    for (let i = 1; i < texts.length; i++) {
      assert.ok(texts[i].startsWith(texts[i - 1]) && texts[i].length > texts[i - 1].length, `the answer grew: ${JSON.stringify(texts.slice(i - 1, i + 1))}`);
    }
    assert.equal(texts.at(-1).trim(), text.trim(), 'the streamed answer is the stored one');
    assert.ok(seen.chipsWhileWriting.includes('get_today_summary tool-chip running'), `a running chip while AIM wrote: ${seen.chipsWhileWriting}`);
    assert.ok(seen.chipsDone.includes('get_today_summary'), `the chip turned done: ${seen.chipsDone}`);
    assert.ok(seen.stopWhileWriting, 'the Stop button while AIM wrote');
    assert.match(await chat.getByRole('status').filter({ hasText: /AIM has answered/ }).innerText(), /answered/);
    // The new conversation is listed and open.
    await chat.locator('#conversation-list button[aria-current="true"]').waitFor();
    assert.equal(await chat.locator('#chat-heading').innerText(), "How's today looking?");
  });

  await step('chat console: a proposed booking is confirmed in a new conversation', async () => {
    await chat.getByRole('button', { name: 'New conversation' }).click();
    assert.equal(await chat.locator('#chat-heading').innerText(), 'New conversation');
    const message = chat.getByLabel('Message to AIM');
    await message.fill('Book Pepper for daycare next Friday');
    await message.press('Enter');
    const confirm = chat.getByRole('button', { name: /^Confirm: Daycare for Pepper/ });
    await confirm.waitFor({ timeout: 30_000 });
    await confirm.click();
    await chat.locator('#actions').waitFor({ state: 'hidden' });
    await waitFor(async () => (await chat.locator('#conversation-list li').count()) === 2, 'two conversations listed');
  });

  // The offline model answers in a few milliseconds, too fast to stop from here; the network is
  // held or rewritten instead, to see what the console does.
  await step('chat console: Stop ends a turn before it starts and offers the message again', async () => {
    let hold;
    const held = new Promise((resolve) => (hold = resolve));
    const CHAT = '**/api/v2/admin/aim/chat';
    await chat.route(CHAT, (route) => hold(route));
    try {
      const message = chat.getByLabel('Message to AIM');
      await message.fill('How many dogs are here today?');
      await message.press('Enter');
      const route = await held;
      const stop = chat.getByRole('button', { name: 'Stop the answer' });
      await stop.click();
      await stop.waitFor({ state: 'hidden' });
      await chat.locator('#turn-status', { hasText: 'Stopped.' }).waitFor();
      assert.equal(await message.inputValue(), 'How many dogs are here today?');
      assert.equal(await chat.getByRole('button', { name: 'Send' }).isEnabled(), true);
      assert.equal(await chat.locator('#chat-error').innerText(), '');
      await route.abort().catch(() => {}); // the page closed the request already
    } finally {
      await chat.unroute(CHAT);
      await chat.getByLabel('Message to AIM').fill('');
    }
  });

  await step('chat console: an answer stored as stopped is marked so', async () => {
    const CONVERSATION = /\/api\/v2\/admin\/aim\/conversations\/[0-9a-f-]{36}$/;
    await chat.route(CONVERSATION, async (route) => {
      const response = await route.fetch();
      const detail = await response.json();
      const answer = detail.messages.findLast((m) => m.role === 'assistant');
      Object.assign(answer, { cancelled: true, content: answer.content.split(' ').slice(0, 4).join(' ') });
      await route.fulfill({ response, json: detail });
    });
    try {
      await chat.locator('#conversation-list button', { hasText: "How's today looking?" }).click();
      const answer = chat.locator('#messages .message.assistant.stopped');
      await answer.waitFor();
      assert.match(await answer.locator('.meta').innerText(), /stopped/);
      assert.match(await answer.innerText(), /Stopped before AIM had finished/);
    } finally {
      await chat.unroute(CONVERSATION);
    }
  });

  await step('alert feed: a read by another client lowers the badge', async () => {
    const badge = chat.locator('#unread-count');
    const before = Number(await waitFor(async () => {
      const n = Number(await badge.innerText());
      return n > 0 ? String(n) : null;
    }, 'unread alerts in the badge'));
    const other = createAimClient({ baseUrl: server.url, WebSocket });
    await other.login(DEMO_EMAIL, DEMO_PASSWORD);
    const [alert] = await other.getAlerts(true);
    assert.ok(alert, 'the demo facility has an unread alert');
    const item = chat.locator(`#alert-list li[data-alert-id="${alert.id}"]`);
    await item.locator('.unread-mark').waitFor();
    const events = [];
    const statuses = [];
    const stop = other.subscribeAlerts((e) => events.push(e), { onStatus: (s) => statuses.push(s) });
    await waitFor(() => statuses.includes('live'), 'the other client to listen');
    await new Promise((r) => setTimeout(r, 250)); // the subscription follows the acknowledgement
    await other.markAlertRead(alert.id);
    await waitFor(() => events.length > 0, 'the other client to see its read');
    stop();
    readCursor = events[0].cursor;
    await waitFor(async () => Number(await badge.innerText()) === before - 1, `the badge to drop from ${before}`);
    await item.locator('.unread-mark').waitFor({ state: 'detached' });
    assert.equal(await item.getByRole('button', { name: /^Mark read/ }).isDisabled(), true);
  });

  await step('alert feed: Resolve removes the alert', async () => {
    const item = chat.locator('#alert-list li[data-alert-id]').first();
    const id = await item.getAttribute('data-alert-id');
    await item.getByRole('button', { name: /^Resolve/ }).click();
    await chat.locator(`#alert-list li[data-alert-id="${id}"]`).waitFor({ state: 'detached' });
  });

  // --- GraphiQL ---------------------------------------------------------------------------
  // Before the front desk: its writes wake the alert generator, whose events would follow the
  // console's Resolve in the replay below.
  const graphiqlContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const graphiql = await graphiqlContext.newPage();
  watch(graphiql, 'graphiql');

  await step('GraphiQL: sign in; the schema loads (documentation explorer)', async () => {
    await graphiql.goto(`${server.url}/playground`);
    await graphiql.getByLabel('Email').fill(DEMO_EMAIL);
    await graphiql.getByLabel('Password').fill(DEMO_PASSWORD);
    await graphiql.getByRole('button', { name: 'Sign in' }).click();
    await graphiql.getByRole('status').filter({ hasText: `Signed in as ${DEMO_EMAIL}` }).waitFor();
    await graphiql.getByRole('button', { name: /Show Documentation Explorer/i }).click();
    const docs = graphiql.locator('.graphiql-doc-explorer');
    await waitFor(async () => /Query/.test(await docs.innerText()), 'the root types in the docs', 30_000);
    assert.doesNotMatch(await docs.innerText(), /Error fetching schema/);
  });

  /** Replaces the query editor's text and runs it until the response shows `expected`. */
  async function run(operation, expected) {
    const editor = graphiql.locator('.graphiql-query-editor .monaco-editor').first();
    await editor.click();
    await graphiql.keyboard.press('ControlOrMeta+A');
    await graphiql.keyboard.press('Delete');
    await graphiql.keyboard.insertText(operation);
    await waitFor(
      async () => (await graphiql.locator('.graphiql-query-editor .view-lines').innerText()).replace(/\s+/g, ' ').trim() === operation,
      'the editor to hold the operation',
    );
    const response = graphiql.locator('.graphiql-response');
    // GraphiQL takes the editor's text a moment after it changes; a click before then runs
    // nothing, so the click is repeated until the response shows up.
    for (let attempt = 1; ; attempt++) {
      await graphiql.locator('.graphiql-execute-button').click();
      try {
        await waitFor(async () => (await response.innerText()).includes(expected), `the response to show ${expected}`, 5_000);
        return;
      } catch (err) {
        if (attempt >= 4) throw err;
      }
    }
  }

  await step('GraphiQL: run { me { email } }', async () => {
    await run('{ me { email } }', DEMO_EMAIL);
  });

  await step('GraphiQL: a subscription over the WebSocket replays the events after a cursor', async () => {
    // After the read above came the console's Resolve: replayed first, whenever this connects.
    await run(`subscription { aimAlertEvents(after: "${readCursor}") { kind alert { id title } } }`, 'RESOLVED');
    await graphiql.locator('.graphiql-execute-button').click(); // stop
  });

  // --- The front desk ---------------------------------------------------------------------
  const deskContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const desk = await deskContext.newPage();
  watch(desk, 'front desk');
  /** Another client, as the front desk's colleague: books, and moves a booking behind its back. */
  const colleague = createAimClient({ baseUrl: server.url, WebSocket });
  await colleague.login(DEMO_EMAIL, DEMO_PASSWORD);
  const today = (await colleague.getFacilityStatus()).date;
  const row = (list, bookingId) => desk.locator(`#${list}-list li.booking[data-booking-id="${bookingId}"]`);
  const count = async (id) => Number(await desk.locator(`#${id}`).innerText());

  await step('front desk: sign in; today\'s groups, counts and compliance flags', async () => {
    await desk.goto(`${server.url}/playground/desk`);
    await desk.getByLabel('Email').fill(DEMO_EMAIL);
    await desk.getByLabel('Password').fill(DEMO_PASSWORD);
    await desk.getByRole('button', { name: 'Sign in' }).click();
    await desk.getByRole('status').filter({ hasText: `Signed in as ${DEMO_EMAIL}` }).waitFor();
    for (const name of [/^Expected/, /^On site/, /^Departed/]) await desk.getByRole('heading', { name, level: 3 }).waitFor();
    // The demo checked today's daycare dogs in at 08:00.
    await desk.locator('#on-site-list li.booking').first().waitFor();
    assert.match(await desk.getByRole('heading', { level: 2 }).innerText(), /^Today, /);
    const status = await colleague.getFacilityStatus();
    assert.equal(await count('count-on-site'), status.dogsOnSite);
    assert.equal(await count('count-capacity'), status.capacity);
    // Each dog booked today whose vaccinations are not all current is flagged with the vaccine.
    const { bookings } = await colleague.getBookings({ from: today, first: 100 });
    const flagged = bookings.flatMap((b) => b.dogs.filter((d) => d.vaccinationStatus !== 'CURRENT').map((d) => [b, d]));
    assert.ok(flagged.length > 0, 'the demo books a dog whose bordetella lapses within the week today');
    for (const [b, dog] of flagged) {
      const flag = desk.locator(`li.booking[data-booking-id="${b.id}"] li.dog[data-dog-id="${dog.id}"] .compliance-flag`);
      const lapsing = dog.requiredVaccinations.find((v) => v.status !== 'CURRENT');
      assert.match(await flag.innerText(), new RegExp(lapsing.kind === 'DHPP' ? 'DHPP' : lapsing.kind[0] + lapsing.kind.slice(1).toLowerCase()));
    }
    assert.equal(await desk.locator('.compliance-flag').count(), flagged.length);
    const graphiqlAssets = requests.get('front desk').filter((url) => /\/assets\/graphiql-/.test(url));
    assert.deepEqual(graphiqlAssets, [], 'the front desk loads no GraphiQL chunk or styles');
  });

  /** Today's daycare for a new dog of a new customer, vaccinated for a year. */
  let owner;
  async function bookToday(name) {
    owner ??= await colleague.createCustomer({ firstName: 'Ada', lastName: 'Lovelace', phone: '555-0199' });
    const dog = await colleague.createDog({ ownerId: owner.id, name, breed: 'Whippet' });
    const expiresOn = `${Number(today.slice(0, 4)) + 1}${today.slice(4, 8)}01`;
    for (const kind of ['RABIES', 'DHPP', 'BORDETELLA']) await colleague.recordVaccination({ dogId: dog.id, kind, expiresOn });
    const [booking] = await colleague.createBooking({ customerId: owner.id, dogIds: [dog.id], service: 'DAYCARE', startDate: today });
    return booking;
  }

  let byron;
  await step('front desk: a booking made elsewhere shows up as expected by itself', async () => {
    const onSite = await count('count-on-site');
    byron = await bookToday('Byron');
    // No reload, no click: the page reads the day again every 10 seconds.
    const expected = row('expected', byron.id);
    await expected.waitFor({ timeout: 15_000 });
    assert.match(await expected.innerText(), /Byron[\s\S]*Ada Lovelace · 555-0199[\s\S]*Daycare · 08:00–18:00/);
    assert.equal(await count('count-on-site'), onSite);
  });

  await step('front desk: Check in moves it to On site, Check out to Departed', async () => {
    const onSite = await count('count-on-site');
    await desk.getByRole('button', { name: 'Check in: Byron (Ada Lovelace)' }).click();
    await row('on-site', byron.id).waitFor();
    await row('expected', byron.id).waitFor({ state: 'detached' });
    await desk.getByRole('status').filter({ hasText: 'Byron checked in (Ada Lovelace).' }).waitFor();
    await waitFor(async () => (await count('count-on-site')) === onSite + 1, 'one more dog on site');
    assert.match(await row('on-site', byron.id).innerText(), / in \d\d:\d\d/);
    assert.equal(await desk.evaluate(() => document.activeElement?.dataset.bookingId), byron.id, 'the moved row has focus');

    await desk.getByRole('button', { name: 'Check out: Byron (Ada Lovelace)' }).click();
    await row('departed', byron.id).waitFor();
    await row('on-site', byron.id).waitFor({ state: 'detached' });
    await waitFor(async () => (await count('count-on-site')) === onSite, 'one dog fewer on site');
    assert.equal(await row('departed', byron.id).getByRole('button').count(), 0, 'nothing more to do');
    assert.equal((await colleague.getBooking(byron.id)).status, 'CHECKED_OUT');
  });

  await step('front desk: No-show asks first; a refused check-in says why by its booking', async () => {
    const ivy = await bookToday('Ivy');
    await desk.getByRole('button', { name: 'Refresh' }).click();
    await row('expected', ivy.id).waitFor();
    await desk.getByRole('button', { name: 'No-show: Ivy (Ada Lovelace)' }).click();
    await desk.getByText('Mark Ivy a no-show?').waitFor();
    await desk.getByRole('button', { name: 'Keep expecting: Ivy (Ada Lovelace)' }).click();
    await desk.getByRole('button', { name: 'Check in: Ivy (Ada Lovelace)' }).waitFor();

    // A colleague checks Ivy in while the page's own check-in is on its way: the server refuses it.
    const GRAPHQL = '**/graphql';
    await desk.route(GRAPHQL, async (route) => {
      const body = route.request().postDataJSON();
      if (body?.query?.includes('checkInBooking') && body.variables?.id === ivy.id) {
        await colleague.checkInBooking(ivy.id);
      }
      await route.continue();
    });
    try {
      await desk.getByRole('button', { name: 'Check in: Ivy (Ada Lovelace)' }).click();
      const refusal = desk.locator(`li.booking[data-booking-id="${ivy.id}"] .row-error[role="alert"]`);
      await refusal.waitFor();
      assert.match(await refusal.innerText(), /^Not checked in: .*checked.in/);
    } finally {
      await desk.unroute(GRAPHQL);
    }
    // The refresh that follows shows where it stands: on site, the refusal still beside it.
    await row('on-site', ivy.id).waitFor();
    assert.match(await row('on-site', ivy.id).innerText(), /Not checked in/);
  });

  assert.deepEqual(problems, [], 'no CSP violations, errors or requests to other hosts');
  console.log('browser test passed');
} catch (err) {
  console.error(err);
  if (problems.length) console.error('problems seen:\n' + problems.join('\n'));
  // What the pages showed, for the CI log's reader.
  const shots = process.env.BROWSER_TEST_SHOTS || 'target/browser-test';
  for (const [name, page] of pages) {
    const path = resolve(import.meta.dirname, '..', '..', shots, `${name.replace(/\W+/g, '-')}.png`);
    await page.screenshot({ path }).then(() => console.error(`screenshot: ${path}`), () => {});
  }
  console.error('server output:\n' + server.output().slice(-4000));
  process.exitCode = 1;
} finally {
  await browser?.close();
  await server.stop();
}
