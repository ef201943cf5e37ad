// /playground/desk: the front desk, built on the admin client. Today's bookings (the facility's
// date, from `facilityStatus`) in three groups — expected, on site, departed — with cancelled
// ones and no-shows folded away; each dog not fully vaccinated flagged with the vaccine at
// issue; Check in / No-show / Check out through the client, a refusal shown by its booking;
// the day's counts. Kept current by polling (there is no subscription of bookings), at once
// after an action.

import './playground.css';
import './desk.css';

import { button, client, currentSession, el, mountSignIn, onSessionChange } from './session.js';

/** How often the day is read again while the page is visible. */
const POLL_MS = 10_000;
/** Bookings read per request; a busy day takes a few pages. */
const PAGE_SIZE = 100;
const MAX_PAGES = 20;

const $ = (id) => document.getElementById(id);
const ui = {
  signedOut: $('signed-out'),
  desk: $('desk'),
  heading: $('desk-heading'),
  onSite: $('count-on-site'),
  expected: $('count-expected'),
  booked: $('count-booked'),
  capacity: $('count-capacity'),
  places: $('count-places'),
  refresh: $('refresh'),
  updated: $('updated'),
  status: $('desk-status'),
  error: $('desk-error'),
  calledOff: $('called-off'),
};

/** The groups of the day, by the statuses they hold. */
const GROUPS = [
  { name: 'expected', statuses: ['PENDING', 'CONFIRMED'], list: $('expected-list'), count: $('expected-count') },
  { name: 'on-site', statuses: ['CHECKED_IN'], list: $('on-site-list'), count: $('on-site-count') },
  { name: 'departed', statuses: ['CHECKED_OUT'], list: $('departed-list'), count: $('departed-count') },
  { name: 'called-off', statuses: ['CANCELLED', 'NO_SHOW'], list: $('called-off-list'), count: $('called-off-count') },
];

/** The moves a row offers: the client's function, the button, what it says when done. */
const MOVES = {
  checkIn: { run: (id) => client.checkInBooking(id), label: 'Check in', done: 'checked in', refused: 'Not checked in' },
  noShow: { run: (id) => client.markNoShow(id), label: 'No-show', done: 'marked a no-show', refused: 'Not marked a no-show' },
  checkOut: { run: (id) => client.checkOutBooking(id), label: 'Check out', done: 'checked out', refused: 'Not checked out' },
};

const EMPTY = {
  expected: 'Nobody else is expected today.',
  'on-site': 'No dogs on site.',
  departed: 'Nobody has left yet.',
  'called-off': 'None.',
};
const SERVICES = { DAYCARE: 'Daycare', BOARDING: 'Boarding', GROOMING: 'Grooming', TRAINING: 'Training' };
const VACCINES = { RABIES: 'Rabies', DHPP: 'DHPP', BORDETELLA: 'Bordetella' };

const state = {
  status: null, // the facility's status at the last read
  bookings: [], // today's, in start order
  offsetMinutes: 0, // the facility's UTC offset, to show its local times whatever the browser's
  errors: new Map(), // booking id → why its last move was refused
  busy: new Map(), // booking id → the move running
  confirmingNoShow: new Set(), // booking ids asking "mark a no-show?"
  rows: new Map(), // booking id → { key, node }: rows unchanged since the last render are kept
  seq: 0, // the latest read; older answers are dropped
  timer: null,
  running: false, // signed in and shown
};

// --- Reading the day -----------------------------------------------------------------------

async function todaysBookings(date) {
  const bookings = [];
  let after = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await client.getBookings({ from: date, to: date, first: PAGE_SIZE, after });
    bookings.push(...result.bookings);
    after = result.nextCursor;
    if (!after) break;
  }
  return bookings;
}

/** Reads the day again and shows it; then reads it again in `POLL_MS`. */
async function load() {
  const seq = ++state.seq;
  clearTimeout(state.timer);
  state.timer = null;
  try {
    const status = await client.getFacilityStatus();
    const bookings = await todaysBookings(status.date);
    if (seq !== state.seq || !state.running) return;
    state.status = status;
    state.bookings = bookings;
    state.offsetMinutes = utcOffset(status);
    ui.error.textContent = '';
    render();
  } catch (err) {
    if (seq !== state.seq || !state.running) return;
    ui.error.textContent = `Could not read today's bookings: ${err.message}`;
  } finally {
    if (seq === state.seq) schedule();
  }
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = state.running && !document.hidden ? setTimeout(load, POLL_MS) : null;
}

/** The facility's offset from UTC in minutes, from a moment and its local `HH:MM`. */
function utcOffset(status) {
  const at = new Date(status.at);
  const [h, m] = status.localTime.split(':').map(Number);
  let offset = h * 60 + m - (at.getUTCHours() * 60 + at.getUTCMinutes());
  if (offset > 14 * 60) offset -= 24 * 60;
  if (offset < -12 * 60) offset += 24 * 60;
  return offset;
}

// --- Showing it ----------------------------------------------------------------------------

/** An instant's facility-local `YYYY-MM-DDTHH:MM`. */
const local = (instant) => new Date(Date.parse(instant) + state.offsetMinutes * 60_000).toISOString().slice(0, 16);
const localTime = (instant) => local(instant).slice(11);

/** A facility date in the browser's language, short ("Sat, Dec 5") or `long` ("Saturday, December 5, 2026"). */
function day(date, long = false) {
  const options = long
    ? { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }
    : { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' };
  return new Date(`${date}T12:00:00Z`).toLocaleDateString(undefined, options);
}

/** When the booking starts and ends: times today, with the days of a longer stay. */
function span(b) {
  const today = state.status.date;
  const from = b.startDate === today ? localTime(b.startAt) : `${day(b.startDate)} ${localTime(b.startAt)}`;
  const to = b.endDate === today ? localTime(b.endAt) : `${day(b.endDate)} ${localTime(b.endAt)}`;
  return `${from}–${to}`;
}

const dogNames = (b) => b.dogs.map((d) => d.name).join(', ') || 'No dogs';
/** How a row's buttons name it: "Byron (Ada Lovelace)". */
const subject = (b) => `${dogNames(b)} (${b.customer.name})`;

/** What needs attention in a dog's required vaccinations: "Rabies expired 30 Nov". */
function complianceNotes(dog) {
  if (dog.vaccinationStatus === 'CURRENT') return [];
  return dog.requiredVaccinations
    .filter((v) => v.status !== 'CURRENT')
    .map((v) => {
      const name = VACCINES[v.kind] ?? v.kind;
      if (v.status === 'MISSING' || !v.expiresOn) return `${name} missing`;
      return `${name} ${v.status === 'EXPIRED' ? 'expired' : 'expires'} ${day(v.expiresOn)}`;
    });
}

function dogItem(dog) {
  const notes = complianceNotes(dog);
  return el(
    'li',
    { className: 'dog', 'data-dog-id': dog.id },
    el('strong', {}, dog.name),
    dog.breed ? el('span', { className: 'breed' }, ` ${dog.breed}`) : null,
    notes.length
      ? el(
          'span',
          { className: `compliance-flag ${dog.vaccinationStatus.toLowerCase().replace('_', '-')}` },
          el('span', { className: 'sr-only' }, 'Vaccinations: '),
          notes.join(', '),
        )
      : null,
  );
}

/** The buttons of a row, by where the booking stands. */
function actions(b) {
  const busy = state.busy.get(b.id);
  const who = subject(b);
  const move = (how, label = MOVES[how].label, props = {}) =>
    button(busy === how ? `${label}…` : label, () => act(b, how), {
      ariaLabel: `${label}: ${who}`,
      'data-action': how,
      disabled: !!busy,
      ...props,
    });
  if (b.status === 'CHECKED_IN') return [move('checkOut')];
  if (b.status !== 'PENDING' && b.status !== 'CONFIRMED') return [];
  if (state.confirmingNoShow.has(b.id)) {
    return [
      el('span', { className: 'confirm-question' }, `Mark ${dogNames(b)} a no-show?`),
      move('noShow', 'Yes, no-show', { className: 'danger' }),
      button('Keep', () => askNoShow(b, false), { ariaLabel: `Keep expecting: ${who}`, className: 'secondary', 'data-action': 'keep', disabled: !!busy }),
    ];
  }
  return [
    move('checkIn'),
    button('No-show', () => askNoShow(b, true), { ariaLabel: `No-show: ${who}`, className: 'secondary', 'data-action': 'askNoShow', disabled: !!busy }),
  ];
}

function meta(b) {
  const parts = [el('span', { className: 'service' }, SERVICES[b.service] ?? b.service), ' · ', el('span', { className: 'times' }, span(b))];
  if (b.checkedInAt) parts.push(' · ', `in ${localTime(b.checkedInAt)}`);
  if (b.checkedOutAt) parts.push(' · ', `out ${localTime(b.checkedOutAt)}`);
  if (b.status === 'PENDING') parts.push(' · ', el('span', { className: 'pending' }, 'not confirmed'));
  if (b.status === 'CANCELLED' || b.status === 'NO_SHOW') {
    parts.push(' · ', el('span', { className: 'called-off-status' }, b.status === 'NO_SHOW' ? 'no-show' : 'cancelled'));
    if (b.cancelReason) parts.push(`: ${b.cancelReason}`);
  }
  if (b.late) parts.push(' ', el('strong', { className: 'late-badge' }, 'Late'));
  return el('p', { className: 'meta' }, ...parts);
}

function renderRow(b) {
  const error = state.errors.get(b.id);
  const buttons = actions(b);
  return el(
    'li',
    {
      className: `booking${b.late ? ' late' : ''}${error ? ' refused' : ''}`,
      'data-booking-id': b.id,
      'data-status': b.status,
      tabIndex: -1,
    },
    el('ul', { className: 'dogs', ariaLabel: 'Dogs' }, ...b.dogs.map(dogItem)),
    el(
      'p',
      { className: 'customer' },
      b.customer.name,
      ...(b.customer.phone ? [' · ', el('a', { href: `tel:${b.customer.phone.replace(/[^\d+]/g, '')}` }, b.customer.phone)] : []),
    ),
    meta(b),
    b.notes ? el('p', { className: 'notes' }, b.notes) : null,
    buttons.length ? el('div', { className: 'booking-actions' }, ...buttons) : null,
    error ? el('p', { className: 'error row-error', role: 'alert' }, error) : null,
  );
}

/** The row of `b`, the one shown before if nothing it shows changed. */
function row(b) {
  const key = JSON.stringify([
    b,
    state.status.date,
    state.offsetMinutes,
    state.errors.get(b.id),
    state.busy.get(b.id),
    state.confirmingNoShow.has(b.id),
  ]);
  const cached = state.rows.get(b.id);
  if (cached?.key === key) return cached.node;
  const node = renderRow(b);
  state.rows.set(b.id, { key, node });
  return node;
}

/** What has focus in a row, to find it again after the row was drawn anew. */
function focused() {
  const active = document.activeElement;
  const item = active?.closest?.('li.booking');
  if (!item) return null;
  return { bookingId: item.dataset.bookingId, action: active.dataset?.action ?? null };
}

function refocus(where) {
  if (!where) return;
  const item = document.querySelector(`li.booking[data-booking-id="${CSS.escape(where.bookingId)}"]`);
  if (!item) return;
  // A row that moved is focused itself, not its new buttons: a second Enter does nothing.
  const target = (where.action && item.querySelector(`button[data-action="${where.action}"]:not(:disabled)`)) || item;
  if (document.activeElement !== target) target.focus({ preventScroll: false });
}

function render(focusOn = null) {
  const status = state.status;
  if (!status) return;
  const before = focusOn ?? focused();
  ui.heading.textContent = `Today, ${day(status.date, true)}`;
  ui.onSite.textContent = String(status.dogsOnSite);
  ui.expected.textContent = String(status.dogsExpected);
  ui.booked.textContent = String(status.dogsBooked);
  ui.capacity.textContent = String(status.capacity);
  ui.places.textContent = String(status.placesLeft);
  ui.places.classList.toggle('full', status.placesLeft <= 0);
  ui.updated.textContent = `Updated at ${status.localTime}`;

  const shown = new Set();
  for (const group of GROUPS) {
    const bookings = state.bookings.filter((b) => group.statuses.includes(b.status));
    group.empty ??= el('li', { className: 'empty' }, EMPTY[group.name]);
    const nodes = bookings.length ? bookings.map(row) : [group.empty];
    for (const b of bookings) shown.add(b.id);
    const current = [...group.list.children];
    const same = current.length === nodes.length && current.every((node, i) => node === nodes[i]);
    if (!same) group.list.replaceChildren(...nodes);
    const dogs = bookings.reduce((n, b) => n + b.dogs.length, 0);
    group.count.textContent = `${dogs} ${dogs === 1 ? 'dog' : 'dogs'}`;
    if (group.name === 'called-off') ui.calledOff.hidden = bookings.length === 0;
  }
  for (const id of state.rows.keys()) if (!shown.has(id)) state.rows.delete(id);
  refocus(before);
}

// --- Acting --------------------------------------------------------------------------------

function askNoShow(b, ask) {
  if (ask) state.confirmingNoShow.add(b.id);
  else state.confirmingNoShow.delete(b.id);
  render({ bookingId: b.id, action: ask ? 'noShow' : 'askNoShow' });
}

async function act(b, how) {
  if (state.busy.has(b.id)) return;
  const move = MOVES[how];
  state.errors.delete(b.id);
  state.busy.set(b.id, how);
  render();
  let focusOn = { bookingId: b.id, action: null };
  try {
    const updated = await move.run(b.id);
    state.confirmingNoShow.delete(b.id);
    // Shown moved at once; the read that follows brings the counts and everything else.
    state.bookings = state.bookings.map((x) => (x.id === updated.id ? updated : x));
    ui.status.textContent = `${dogNames(b)} ${move.done} (${b.customer.name}).`;
  } catch (err) {
    state.errors.set(b.id, `${move.refused}: ${err.message}`);
    focusOn = { bookingId: b.id, action: how === 'noShow' ? 'askNoShow' : how };
    state.confirmingNoShow.delete(b.id);
  } finally {
    state.busy.delete(b.id);
  }
  if (!state.running) return;
  render(focusOn);
  await load();
}

// --- Session -------------------------------------------------------------------------------

function start(session) {
  state.running = !!session;
  state.seq += 1; // answers of a former session are dropped
  clearTimeout(state.timer);
  state.timer = null;
  state.status = null;
  state.bookings = [];
  state.errors.clear();
  state.busy.clear();
  state.confirmingNoShow.clear();
  state.rows.clear();
  for (const group of GROUPS) group.list.replaceChildren();
  ui.status.textContent = '';
  ui.error.textContent = '';
  ui.desk.hidden = !session;
  ui.signedOut.hidden = !!session;
  if (session) void load();
}

ui.refresh.addEventListener('click', () => void load());
document.addEventListener('visibilitychange', () => {
  if (!state.running) return;
  if (document.hidden) schedule(); // stops polling
  else void load();
});

mountSignIn($('signin'));
let signedInAs = currentSession()?.token ?? null;
onSessionChange((session) => {
  if ((session?.token ?? null) === signedInAs) return;
  signedInAs = session?.token ?? null;
  start(session);
});
start(currentSession());
