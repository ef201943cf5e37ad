// The GraphQL operations the admin client's facility functions send are valid against the
// checked-in schema.graphql, their variables included: a renamed field or argument fails here,
// without a server.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildSchema, getOperationAST, parse, validate } from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';

import { createAimClient } from '@happytail/aim-admin-client';

const ID = '00000000-0000-4000-8000-000000000000';
const DAY = '2026-01-05';

test("the admin client's facility operations are valid against schema.graphql", async () => {
  const schema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
  const sent = [];
  // Records each request and answers a GraphQL error, which the client throws.
  const fetch = async (_url, init) => {
    sent.push(JSON.parse(init.body));
    return new Response(JSON.stringify({ errors: [{ message: 'recorded', extensions: { code: 'stub' } }] }), {
      headers: { 'Content-Type': 'application/json' },
    });
  };
  const c = createAimClient({ baseUrl: 'http://aim.invalid', fetch, token: 'token' });
  const calls = {
    getFacilityStatus: () => c.getFacilityStatus(DAY),
    getServices: () => c.getServices(),
    getCustomers: () => c.getCustomers({ search: 'Ada', first: 5, after: 'cursor' }),
    getCustomer: () => c.getCustomer(ID),
    createCustomer: () => c.createCustomer({ firstName: 'Ada', lastName: 'Lovelace', email: null, phone: '555-0100' }),
    updateCustomer: () => c.updateCustomer(ID, { phone: null, notes: 'n' }, '2026-01-05T10:00:00Z'),
    getDogs: () => c.getDogs({ search: 'Pepper' }),
    getDog: () => c.getDog(ID),
    createDog: () => c.createDog({ ownerId: ID, name: 'Byron', breed: 'Whippet', birthdate: '2020-02-02' }),
    updateDog: () => c.updateDog(ID, { name: 'Rollo', breed: null }),
    recordVaccination: () => c.recordVaccination({ dogId: ID, kind: 'RABIES', administeredOn: DAY, expiresOn: '2027-01-05' }),
    getBookings: () => c.getBookings({ from: DAY, to: DAY, status: ['PENDING', 'CONFIRMED'], customerId: ID, first: 100 }),
    getBooking: () => c.getBooking(ID),
    createBooking: () => c.createBooking({ customerId: ID, dogIds: [ID], service: 'DAYCARE', startDate: DAY, notes: null }),
    confirmBooking: () => c.confirmBooking(ID),
    cancelBooking: () => c.cancelBooking(ID, 'Owner is away'),
    rescheduleBooking: () => c.rescheduleBooking(ID, { startDate: DAY, endDate: null }, '2026-01-05T10:00:00Z'),
    checkInBooking: () => c.checkInBooking(ID),
    checkOutBooking: () => c.checkOutBooking(ID),
    markNoShow: () => c.markNoShow(ID),
    getAuditLog: () => c.getAuditLog({ entityId: ID, first: 10 }),
    getShifts: () => c.getShifts(DAY),
    createShift: () => c.createShift({ staffUserId: ID, date: DAY, start: '08:00', end: '16:00', role: 'HANDLER' }),
    updateShift: () => c.updateShift(ID, { end: '17:00', role: 'FRONT_DESK' }, '2026-01-05T10:00:00Z'),
    deleteShift: () => c.deleteShift(ID),
    addShiftBreak: () => c.addShiftBreak(ID, { start: '12:00', end: '12:30', type: 'LUNCH' }),
    removeShiftBreak: () => c.removeShiftBreak(ID),
    getPayments: () => c.getPayments({ from: DAY, to: DAY, first: 10, after: 'cursor' }),
    recordPayment: () => c.recordPayment({ customerId: ID, bookingId: null, amountCents: 4500, method: 'CARD', note: 'n' }),
    refundPayment: () => c.refundPayment(ID, { amountCents: 1000, reason: 'Left early' }),
    getStaffUsers: () => c.getStaffUsers(),
    createStaffUser: () => c.createStaffUser({ email: 'sam@happytail.example', name: 'Sam', role: 'STAFF', password: 'a long password' }),
    updateStaffUser: () => c.updateStaffUser(ID, { role: 'MANAGER', active: false }),
    changePassword: () => c.changePassword('the old password', 'the new password'),
  };
  for (const [name, call] of Object.entries(calls)) {
    const before = sent.length;
    await assert.rejects(call(), { name: 'AimApiError', code: 'stub' }, name);
    assert.equal(sent.length, before + 1, `${name} sends one request`);
    const { query, variables } = sent.at(-1);
    const document = parse(query);
    assert.deepEqual(validate(schema, document).map((e) => e.message), [], `${name}: ${query}`);
    const operation = getOperationAST(document);
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
    assert.deepEqual(coerced.errors?.map((e) => e.message) ?? [], [], `${name}: variables ${JSON.stringify(variables)}`);
  }
});
