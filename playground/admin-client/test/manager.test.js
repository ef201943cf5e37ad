// The admin client's manager functions (GraphQL) against a real `aim serve --demo` of their own:
// shifts and breaks planned and changed, payments taken and refunded, the staff list, a password
// changed, and what staff (and managers, for admins' operations) are refused. Run from
// playground/: `npm run test:client`.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AimApiError, createAimClient } from '../src/index.js';
import { DEMO_EMAIL, DEMO_PASSWORD, DEMO_STAFF_EMAIL, startServer } from '../../tests/server.mjs';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

let server;
/** Clients signed in as the demo manager and as a demo staff member. */
let manager;
let staff;
/** The facility's date today, `YYYY-MM-DD`. */
let today;

before(async () => {
  server = await startServer();
  manager = createAimClient({ baseUrl: server.url });
  await manager.login(DEMO_EMAIL, DEMO_PASSWORD);
  staff = createAimClient({ baseUrl: server.url });
  await staff.login(DEMO_STAFF_EMAIL, DEMO_PASSWORD);
  today = (await manager.getFacilityStatus()).date;
});
after(async () => server?.stop());

/** `date` plus `days`, both `YYYY-MM-DD`. */
function addDays(date, days) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Asserts that `promise` rejects with an `AimApiError` of `code` (and `field`, if given). */
async function refused(promise, code, field) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof AimApiError, `an AimApiError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (field !== undefined) assert.equal(err.field, field, err.message);
    assert.ok(err.message.length > 0);
    assert.ok(err.requestId, 'the request id of the error');
    return true;
  });
}

/** The demo staff member's account, as the manager lists it. */
async function demoStaffMember() {
  const member = (await manager.getStaffUsers()).find((s) => s.email === DEMO_STAFF_EMAIL);
  assert.ok(member, `${DEMO_STAFF_EMAIL} is on the staff list`);
  return member;
}

/** A demo customer, the newest. */
async function demoCustomer() {
  const { customers } = await manager.getCustomers({ first: 1 });
  assert.equal(customers.length, 1);
  return customers[0];
}

describe('shifts', () => {
  test('a shift with a lunch break is planned a month ahead, moved once (not with a stale updatedAt), its break removed, then deleted', async () => {
    const member = await demoStaffMember();
    const day = addDays(today, 30);
    assert.ok(!(await manager.getShifts(day)).some((s) => s.staffUser.id === member.id), 'no shift of theirs yet that day');

    const shift = await manager.createShift({ staffUserId: member.id, date: day, start: '08:00', end: '16:00', role: 'HANDLER' });
    assert.deepEqual(
      [shift.date, shift.start, shift.end, shift.role, shift.breaks],
      [day, '08:00', '16:00', 'HANDLER', []],
    );
    assert.deepEqual(shift.staffUser, { id: member.id, name: member.name, email: DEMO_STAFF_EMAIL, role: 'STAFF' });
    await refused(
      manager.createShift({ staffUserId: member.id, date: day, start: '15:00', end: '19:00', role: 'FRONT_DESK' }),
      'invalid_input',
      'start',
    );
    await refused(
      manager.createShift({ staffUserId: member.id, date: day, start: '19:00', end: '18:00', role: 'HANDLER' }),
      'invalid_input',
      'end',
    );

    const withLunch = await manager.addShiftBreak(shift.id, { start: '12:00', end: '12:30', type: 'LUNCH' });
    assert.equal(withLunch.id, shift.id);
    assert.deepEqual(withLunch.breaks.map((b) => [b.start, b.end, b.type]), [['12:00', '12:30', 'LUNCH']]);
    assert.ok(withLunch.updatedAt > shift.updatedAt, 'a break changes its shift');
    const [lunch] = withLunch.breaks;
    await refused(manager.addShiftBreak(shift.id, { start: '12:15', end: '12:45', type: 'SHORT' }), 'invalid_input', 'start');
    await refused(manager.addShiftBreak(shift.id, { start: '15:45', end: '16:15', type: 'SHORT' }), 'invalid_input', 'end');
    await refused(manager.addShiftBreak(UNKNOWN, { start: '10:00', end: '10:15', type: 'SHORT' }), 'not_found');

    // The shift as read before the break is stale now.
    await refused(manager.updateShift(shift.id, { end: '17:00' }, shift.updatedAt), 'stale_update');
    const moved = await manager.updateShift(shift.id, { end: '17:00', role: 'FRONT_DESK' }, withLunch.updatedAt);
    assert.deepEqual([moved.start, moved.end, moved.role], ['08:00', '17:00', 'FRONT_DESK']);
    assert.deepEqual(moved.breaks, withLunch.breaks);
    assert.ok(moved.updatedAt > withLunch.updatedAt);
    await refused(manager.updateShift(shift.id, { end: '18:00' }, withLunch.updatedAt), 'stale_update');
    await refused(manager.updateShift(shift.id, { start: '12:15' }), 'invalid_input', 'start');

    // Staff read the rota; the day's shifts come earliest first.
    const rota = await staff.getShifts(day);
    const listed = rota.find((s) => s.id === shift.id);
    assert.deepEqual([listed?.end, listed?.role, listed?.breaks.length], ['17:00', 'FRONT_DESK', 1]);
    const starts = rota.map((s) => s.start);
    assert.deepEqual(starts, [...starts].sort());

    const noLunch = await manager.removeShiftBreak(lunch.id);
    assert.deepEqual([noLunch.id, noLunch.breaks], [shift.id, []]);
    assert.ok(noLunch.updatedAt > moved.updatedAt);
    await refused(manager.removeShiftBreak(lunch.id), 'not_found');

    assert.equal(await manager.deleteShift(shift.id), shift.id);
    assert.ok(!(await manager.getShifts(day)).some((s) => s.id === shift.id));
    await refused(manager.deleteShift(shift.id), 'not_found');
    await refused(manager.updateShift(shift.id, { end: '17:30' }), 'not_found');

    const { entries } = await manager.getAuditLog({ entityId: shift.id });
    assert.deepEqual(entries.map((e) => e.action), [
      'shift.delete',
      'shift.remove_break',
      'shift.update',
      'shift.add_break',
      'shift.create',
    ]);
  });

  test('today\'s demo shifts have their breaks', async () => {
    const shifts = await manager.getShifts(today);
    assert.ok(shifts.length > 0, 'the demo plans today');
    assert.ok(shifts.some((s) => s.breaks.some((b) => b.type === 'LUNCH')));
    for (const s of shifts) {
      assert.equal(s.date, today);
      assert.match(s.start, /^\d\d:\d\d$/);
      assert.ok(s.end > s.start);
      for (const b of s.breaks) assert.ok(b.start >= s.start && b.end <= s.end, `${b.start}–${b.end} inside ${s.start}–${s.end}`);
    }
  });
});

describe('payments', () => {
  test('a payment is refunded in part, then the rest; a third refund is refused; all three are listed, newest first', async () => {
    const customer = await demoCustomer();
    const paid = await manager.recordPayment({ customerId: customer.id, amountCents: 4500, method: 'CARD', note: 'Daycare, one day' });
    assert.deepEqual(
      [paid.customer, paid.amountCents, paid.method, paid.status, paid.refundOf, paid.bookingId, paid.note],
      [{ id: customer.id, name: customer.name }, 4500, 'CARD', 'SUCCEEDED', null, null, 'Daycare, one day'],
    );
    assert.ok(paid.paidAt);

    const part = await manager.refundPayment(paid.id, { amountCents: 1500, reason: 'Left at noon' });
    assert.deepEqual(
      [part.amountCents, part.status, part.refundOf, part.method, part.note, part.customer.id],
      [1500, 'REFUNDED', paid.id, 'CARD', 'Left at noon', customer.id],
    );
    await refused(manager.refundPayment(paid.id, { amountCents: 3001 }), 'invalid_input', 'amountCents');
    const rest = await manager.refundPayment(paid.id); // what is left
    assert.deepEqual([rest.amountCents, rest.status, rest.refundOf, rest.note], [3000, 'REFUNDED', paid.id, null]);
    await refused(manager.refundPayment(paid.id, { amountCents: 100, reason: 'Again' }), 'invalid_input', 'amountCents');
    await refused(manager.refundPayment(paid.id), 'invalid_input', 'amountCents');
    await refused(manager.refundPayment(part.id, { amountCents: 100 }), 'invalid_input', 'id');
    await refused(manager.refundPayment(UNKNOWN), 'not_found');

    const { payments } = await manager.getPayments({ from: today, to: addDays(today, 1), first: 100 });
    const ours = payments.filter((p) => p.id === paid.id || p.refundOf === paid.id);
    assert.deepEqual(ours.map((p) => [p.id, p.amountCents]), [[rest.id, 3000], [part.id, 1500], [paid.id, 4500]]);
    const times = payments.map((p) => p.paidAt);
    assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  });

  test('bad payments are refused with their field; the list pages by cursor', async () => {
    const customer = await demoCustomer();
    await refused(manager.recordPayment({ customerId: customer.id, amountCents: 0, method: 'CASH' }), 'invalid_input', 'amountCents');
    await refused(manager.recordPayment({ customerId: UNKNOWN, amountCents: 100, method: 'CASH' }), 'not_found');
    await refused(
      manager.recordPayment({ customerId: customer.id, bookingId: UNKNOWN, amountCents: 100, method: 'CASH' }),
      'not_found',
    );
    await refused(manager.getPayments({ from: today, to: addDays(today, 400) }), 'invalid_input', 'to');

    // The demo takes 30 days of payments.
    const first = await manager.getPayments({ from: addDays(today, -30), to: today, first: 2 });
    assert.equal(first.payments.length, 2);
    assert.ok(first.nextCursor);
    const second = await manager.getPayments({ from: addDays(today, -30), to: today, first: 2, after: first.nextCursor });
    assert.ok(second.payments.length > 0);
    const ids = [...first.payments, ...second.payments].map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'no payment on two pages');
  });
});

describe('staff accounts', () => {
  test('the manager lists the staff by name; adding and changing accounts is for admins', async () => {
    const users = await manager.getStaffUsers();
    const names = users.map((u) => u.name);
    assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b)), 'by name');
    const byEmail = Object.fromEntries(users.map((u) => [u.email, u]));
    assert.deepEqual([byEmail[DEMO_EMAIL]?.role, byEmail[DEMO_STAFF_EMAIL]?.role], ['MANAGER', 'STAFF']);
    assert.ok(users.every((u) => u.active && u.createdAt && u.id));

    const member = byEmail[DEMO_STAFF_EMAIL];
    await refused(
      manager.createStaffUser({ email: 'sam@happytail.example', name: 'Sam Rivers', role: 'STAFF', password: 'a long enough password' }),
      'forbidden',
    );
    await refused(manager.updateStaffUser(member.id, { role: 'MANAGER' }), 'forbidden');
    await refused(manager.updateStaffUser(member.id, { active: false }), 'forbidden');
    assert.deepEqual(
      (await manager.getStaffUsers()).find((u) => u.id === member.id),
      member,
      'nothing changed',
    );
  });

  test('a staff member changes their password and back; a wrong current or a short new one is refused', async () => {
    const NEW_PASSWORD = 'happytail-demo-changed';
    const own = createAimClient({ baseUrl: server.url });
    await own.login(DEMO_STAFF_EMAIL, DEMO_PASSWORD);
    await refused(own.changePassword('not my password', NEW_PASSWORD), 'invalid_input', 'current');
    await refused(own.changePassword(DEMO_PASSWORD, 'short'), 'invalid_input', 'new');
    await refused(own.changePassword(DEMO_PASSWORD, DEMO_PASSWORD), 'invalid_input', 'new');

    assert.equal(await own.changePassword(DEMO_PASSWORD, NEW_PASSWORD), true);
    try {
      const fresh = createAimClient({ baseUrl: server.url });
      await assert.rejects(fresh.login(DEMO_STAFF_EMAIL, DEMO_PASSWORD), { name: 'AimApiError', status: 401 });
      const { staffUser } = await fresh.login(DEMO_STAFF_EMAIL, NEW_PASSWORD);
      assert.equal(staffUser.email, DEMO_STAFF_EMAIL);
      assert.equal((await own.me()).email, DEMO_STAFF_EMAIL, 'the earlier token still works');
    } finally {
      assert.equal(await own.changePassword(NEW_PASSWORD, DEMO_PASSWORD), true);
    }
    await createAimClient({ baseUrl: server.url }).login(DEMO_STAFF_EMAIL, DEMO_PASSWORD);
  });
});

describe('what staff may not do', () => {
  test('staff are refused with forbidden: planning shifts, payments, the staff list and accounts', async () => {
    const member = await demoStaffMember();
    const day = addDays(today, 31);
    const shift = await manager.createShift({ staffUserId: member.id, date: day, start: '09:00', end: '13:00', role: 'HANDLER' });
    const withBreak = await manager.addShiftBreak(shift.id, { start: '11:00', end: '11:15', type: 'SHORT' });
    const customer = await demoCustomer();
    const paid = await manager.recordPayment({ customerId: customer.id, amountCents: 2000, method: 'CASH' });

    await refused(staff.createShift({ staffUserId: member.id, date: day, start: '14:00', end: '16:00', role: 'HANDLER' }), 'forbidden');
    await refused(staff.updateShift(shift.id, { end: '14:00' }, withBreak.updatedAt), 'forbidden');
    await refused(staff.addShiftBreak(shift.id, { start: '12:00', end: '12:15', type: 'PERSONAL' }), 'forbidden');
    await refused(staff.removeShiftBreak(withBreak.breaks[0].id), 'forbidden');
    await refused(staff.deleteShift(shift.id), 'forbidden');
    await refused(staff.getPayments({ from: today }), 'forbidden');
    await refused(staff.recordPayment({ customerId: customer.id, amountCents: 2000, method: 'CASH' }), 'forbidden');
    await refused(staff.refundPayment(paid.id, { amountCents: 500 }), 'forbidden');
    await refused(staff.getStaffUsers(), 'forbidden');
    await refused(
      staff.createStaffUser({ email: 'sam@happytail.example', name: 'Sam Rivers', role: 'STAFF', password: 'a long enough password' }),
      'forbidden',
    );
    await refused(staff.updateStaffUser(member.id, { role: 'ADMIN' }), 'forbidden');

    // Nothing was written: the shift and its break stand, the payment is not refunded.
    assert.deepEqual((await manager.getShifts(day)).find((s) => s.id === shift.id), withBreak);
    assert.equal(await manager.deleteShift(shift.id), shift.id);
    const { payments } = await manager.getPayments({ from: today, to: addDays(today, 1), first: 100 });
    assert.ok(payments.some((p) => p.id === paid.id));
    assert.ok(!payments.some((p) => p.refundOf === paid.id));
  });
});
