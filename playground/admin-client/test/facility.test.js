// The admin client's facility functions (GraphQL) against a real `aim serve --demo` of their
// own: a front-desk day from a new customer to a checked-out dog, the refusals with their
// codes, paging and the audit log. Run from playground/: `npm run test:client`.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AimApiError, createAimClient } from '../src/index.js';
import { DEMO_EMAIL, DEMO_PASSWORD, DEMO_STAFF_EMAIL, startServer } from '../../tests/server.mjs';

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

let serial = 0;
/** A customer of this run, with an email and a phone of their own. */
async function newCustomer(c = manager, lastName = 'Lovelace') {
  serial += 1;
  const tag = `${process.pid}-${serial}`;
  return c.createCustomer({
    firstName: 'Ada',
    lastName,
    email: `ada.${tag}@desk.example`,
    phone: `555-01${String(serial).padStart(2, '0')}`,
  });
}

/** A dog of `owner` with the three required vaccinations, valid for a year. */
async function vaccinatedDog(owner, name = 'Byron', c = manager) {
  const dog = await c.createDog({ ownerId: owner.id, name, breed: 'Whippet' });
  for (const kind of ['RABIES', 'DHPP', 'BORDETELLA']) {
    await c.recordVaccination({ dogId: dog.id, kind, administeredOn: today, expiresOn: addDays(today, 365) });
  }
  return dog;
}

/** Asserts that `promise` rejects with an `AimApiError` of `code` (and `field`, if given). */
async function refused(promise, code, field) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof AimApiError, `an AimApiError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (field !== undefined) assert.equal(err.field, field);
    assert.ok(err.message.length > 0);
    assert.ok(err.requestId, 'the request id of the error');
    return true;
  });
}

describe('the front desk', () => {
  test('a new customer\'s dog is booked today, checked in and out; a second check-out is refused; the audit log tells it all', async () => {
    const before = await manager.getFacilityStatus();
    assert.equal(before.date, today);
    assert.match(before.localTime, /^\d\d:\d\d$/);
    assert.ok(before.capacity > 0 && before.dogsOnSite > 0, 'the demo checks today\'s dogs in at 08:00');

    const owner = await newCustomer(staff);
    assert.equal(owner.name, 'Ada Lovelace');
    const dog = await staff.createDog({ ownerId: owner.id, name: 'Byron', breed: 'Whippet' });
    assert.deepEqual(dog.owner, { id: owner.id, name: 'Ada Lovelace', phone: owner.phone });
    assert.equal(dog.vaccinationStatus, 'MISSING');
    assert.deepEqual(dog.requiredVaccinations.map((v) => [v.kind, v.status, v.expiresOn]), [
      ['RABIES', 'MISSING', null],
      ['DHPP', 'MISSING', null],
      ['BORDETELLA', 'MISSING', null],
    ]);

    // Not bookable until vaccinated.
    const input = { customerId: owner.id, dogIds: [dog.id], service: 'DAYCARE', startDate: today };
    await refused(staff.createBooking(input), 'vaccination_missing', 'dogIds');

    const expiresOn = addDays(today, 365);
    for (const kind of ['RABIES', 'DHPP', 'BORDETELLA']) {
      const v = await staff.recordVaccination({ dogId: dog.id, kind, administeredOn: today, expiresOn });
      assert.deepEqual([v.dogId, v.kind, v.expiresOn, v.administeredOn], [dog.id, kind, expiresOn, today]);
    }
    const vaccinated = await staff.getDog(dog.id);
    assert.equal(vaccinated.vaccinationStatus, 'CURRENT');
    assert.equal(vaccinated.vaccinations.length, 3);
    assert.deepEqual((await staff.getCustomer(owner.id)).dogs.map((d) => d.name), ['Byron']);

    const booked = await staff.createBooking(input);
    assert.equal(booked.length, 1);
    const [booking] = booked;
    assert.equal(booking.status, 'CONFIRMED');
    assert.equal(booking.service, 'DAYCARE');
    assert.deepEqual([booking.startDate, booking.endDate], [today, today]);
    assert.deepEqual(booking.customer, { id: owner.id, name: 'Ada Lovelace', phone: owner.phone });
    assert.deepEqual(booking.dogs.map((d) => [d.name, d.vaccinationStatus]), [['Byron', 'CURRENT']]);
    assert.equal(booking.checkedInAt, null);

    const expected = await staff.getBookings({ from: today, to: today, status: ['PENDING', 'CONFIRMED'], first: 100 });
    assert.ok(expected.bookings.some((b) => b.id === booking.id), 'listed among today\'s expected bookings');
    assert.ok(expected.bookings.every((b) => b.status === 'PENDING' || b.status === 'CONFIRMED'));
    const booked1 = await staff.getFacilityStatus(today);
    assert.equal(booked1.dogsExpected, before.dogsExpected + 1);
    assert.ok(booked1.arrivals.some((a) => a.bookingId === booking.id && a.dogs[0].name === 'Byron'));

    const checkedIn = await staff.checkInBooking(booking.id);
    assert.equal(checkedIn.status, 'CHECKED_IN');
    assert.ok(checkedIn.checkedInAt);
    assert.equal(checkedIn.late, false);
    assert.equal((await staff.getFacilityStatus()).dogsOnSite, before.dogsOnSite + 1);
    await refused(staff.checkInBooking(booking.id), 'invalid_transition');

    const checkedOut = await staff.checkOutBooking(booking.id);
    assert.equal(checkedOut.status, 'CHECKED_OUT');
    assert.ok(checkedOut.checkedOutAt >= checkedOut.checkedInAt);
    await refused(staff.checkOutBooking(booking.id), 'invalid_transition');
    assert.equal((await staff.getBooking(booking.id)).status, 'CHECKED_OUT');

    // The manager reads the booking's history, newest first; the refusals wrote nothing.
    const { entries, nextCursor } = await manager.getAuditLog({ entityId: booking.id });
    assert.deepEqual(entries.map((e) => e.action), ['booking.check_out', 'booking.check_in', 'booking.create']);
    assert.equal(nextCursor, null);
    for (const entry of entries) {
      assert.equal(entry.entityId, booking.id);
      assert.equal(entry.entityType, 'booking');
      assert.equal(entry.channel, 'GRAPHQL');
      assert.equal(entry.actor?.email, DEMO_STAFF_EMAIL);
      assert.ok(entry.requestId);
    }
    assert.equal(entries[1].changes.status?.after, 'checked_in', JSON.stringify(entries[1].changes));
    const ownerLog = await manager.getAuditLog({ entityId: owner.id });
    assert.deepEqual(ownerLog.entries.map((e) => e.action), ['customer.create']);
    const dogLog = await manager.getAuditLog({ entityId: dog.id, first: 2 });
    assert.equal(dogLog.entries.length, 2);
    assert.ok(dogLog.nextCursor, 'the dog and its three vaccinations: more than a page of 2');
  });

  test('the audit log is for managers: staff are refused with forbidden', async () => {
    await refused(staff.getAuditLog(), 'forbidden');
    const { entries } = await manager.getAuditLog({ first: 3 });
    assert.ok(entries.length > 0);
    const at = entries.map((e) => e.at);
    assert.deepEqual(at, [...at].sort().reverse(), 'newest first');
  });

  test('a booking of another day: no-show and confirm refused, rescheduled once (not with a stale updatedAt), then cancelled with a reason', async () => {
    const owner = await newCustomer();
    const dog = await vaccinatedDog(owner, 'Ivy');
    const tomorrow = addDays(today, 1);
    const [booking] = await manager.createBooking({
      customerId: owner.id,
      dogIds: [dog.id],
      service: 'DAYCARE',
      startDate: tomorrow,
      notes: 'Shy with big dogs',
    });
    assert.equal(booking.notes, 'Shy with big dogs');
    await refused(manager.markNoShow(booking.id), 'invalid_transition');
    await refused(manager.confirmBooking(booking.id), 'invalid_transition');
    await refused(manager.checkInBooking(booking.id), 'invalid_transition');
    await refused(manager.createBooking({ customerId: owner.id, dogIds: [dog.id], service: 'DAYCARE', startDate: tomorrow }), 'dog_already_booked', 'startDate');

    const later = addDays(today, 2);
    const moved = await manager.rescheduleBooking(booking.id, { startDate: later }, booking.updatedAt);
    assert.deepEqual([moved.startDate, moved.endDate, moved.status], [later, later, 'CONFIRMED']);
    assert.ok(moved.updatedAt > booking.updatedAt);
    await refused(manager.rescheduleBooking(booking.id, { startDate: tomorrow }, booking.updatedAt), 'stale_update');
    await refused(manager.rescheduleBooking(booking.id, { startDate: addDays(today, -1) }), 'invalid_input', 'startDate');

    const cancelled = await manager.cancelBooking(booking.id, 'Owner is away');
    assert.equal(cancelled.status, 'CANCELLED');
    assert.equal(cancelled.cancelReason, 'Owner is away');
    assert.ok(cancelled.cancelledAt);
    await refused(manager.cancelBooking(booking.id), 'invalid_transition');
    const listed = await manager.getBookings({ from: later, status: ['CANCELLED'] });
    assert.ok(listed.bookings.some((b) => b.id === booking.id));
  });

  test('a no-show is marked after the booking starts (08:00), refused before', async () => {
    const owner = await newCustomer();
    const dog = await vaccinatedDog(owner, 'Moss');
    const [booking] = await manager.createBooking({ customerId: owner.id, dogIds: [dog.id], service: 'DAYCARE', startDate: today });
    const { localTime } = await manager.getFacilityStatus();
    if (localTime >= '08:00') {
      const marked = await manager.markNoShow(booking.id);
      assert.equal(marked.status, 'NO_SHOW');
      assert.ok(marked.cancelledAt);
      await refused(manager.checkInBooking(booking.id), 'invalid_transition');
    } else {
      await refused(manager.markNoShow(booking.id), 'invalid_transition');
      assert.equal((await manager.cancelBooking(booking.id)).status, 'CANCELLED');
    }
  });

  test('getBookings pages in start order by cursor; an unknown booking is null', async () => {
    const first = await manager.getBookings({ from: addDays(today, -3), to: addDays(today, 3), first: 5 });
    assert.equal(first.bookings.length, 5);
    assert.ok(first.nextCursor);
    const second = await manager.getBookings({ from: addDays(today, -3), to: addDays(today, 3), first: 5, after: first.nextCursor });
    assert.ok(second.bookings.length > 0);
    const starts = [...first.bookings, ...second.bookings].map((b) => Date.parse(b.startAt));
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
    assert.equal(new Set([...first.bookings, ...second.bookings].map((b) => b.id)).size, 10 - (5 - second.bookings.length));
    assert.equal(await manager.getBooking('00000000-0000-4000-8000-000000000000'), null);
    await refused(manager.getBooking('nope'), 'invalid_input', 'id');
    await refused(manager.getBookings({ from: today, to: addDays(today, 400) }), 'invalid_input', 'to');
  });
});

describe('customers and dogs', () => {
  test('a customer is found by name; updateCustomer applies a patch once and refuses a stale one', async () => {
    const owner = await newCustomer(manager, 'Quartermaine');
    const found = await manager.getCustomers({ search: 'Quartermaine' });
    assert.equal(found.customers[0]?.id, owner.id);

    const updated = await manager.updateCustomer(owner.id, { notes: 'Pays by card', phone: null }, owner.updatedAt);
    assert.deepEqual([updated.notes, updated.phone, updated.firstName], ['Pays by card', null, 'Ada']);
    await refused(manager.updateCustomer(owner.id, { notes: 'Cash' }, owner.updatedAt), 'stale_update');
    assert.equal((await manager.getCustomer(owner.id)).notes, 'Pays by card');
    assert.equal(await manager.getCustomer('00000000-0000-4000-8000-000000000000'), null);

    const newest = await manager.getCustomers({ first: 1 });
    assert.equal(newest.customers.length, 1);
    assert.ok(newest.nextCursor);
    const next = await manager.getCustomers({ first: 1, after: newest.nextCursor });
    assert.notEqual(next.customers[0].id, newest.customers[0].id);
  });

  test('refusals name their field: an email taken, an empty name', async () => {
    const owner = await newCustomer();
    await refused(
      manager.createCustomer({ firstName: 'Grace', lastName: 'Hopper', email: owner.email.toUpperCase() }),
      'already_exists',
      'email',
    );
    await refused(manager.createCustomer({ firstName: '', lastName: 'Hopper' }), 'invalid_input', 'firstName');
  });

  test('dogs: found by name, renamed once, a stale rename refused, a missing owner not found', async () => {
    const pepper = await manager.getDogs({ search: 'Pepper', first: 5 });
    assert.ok(pepper.dogs.some((d) => d.name === 'Pepper'), pepper.dogs.map((d) => d.name).join());
    const owner = await newCustomer();
    const dog = await vaccinatedDog(owner, 'Rolo');
    const renamed = await manager.updateDog(dog.id, { name: 'Rollo', breed: null }, dog.updatedAt);
    assert.deepEqual([renamed.name, renamed.breed], ['Rollo', null]);
    await refused(manager.updateDog(dog.id, { name: 'Rolo' }, dog.updatedAt), 'stale_update');
    const detail = await manager.getDog(dog.id);
    assert.equal(detail.name, 'Rollo');
    assert.deepEqual(detail.vaccinations.map((v) => v.kind).sort(), ['BORDETELLA', 'DHPP', 'RABIES']);
    assert.equal(await manager.getDog('00000000-0000-4000-8000-000000000000'), null);
    await refused(manager.createDog({ ownerId: '00000000-0000-4000-8000-000000000000', name: 'Nobody' }), 'not_found');
  });

  test('getServices lists what the facility sells', async () => {
    const services = await manager.getServices();
    assert.deepEqual(services.map((s) => s.kind).sort(), ['BOARDING', 'DAYCARE', 'GROOMING', 'TRAINING']);
    assert.ok(services.every((s) => Number.isInteger(s.priceCents) && typeof s.active === 'boolean'));
  });
});
