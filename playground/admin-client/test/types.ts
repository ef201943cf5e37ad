// Compile-only: the declared API reads as the admin app would use it (`npm run check`).
import {
  AimApiError,
  createAimClient,
  readEventStream,
  type AimAlertEvent,
  type AimChatEvent,
  type AimChatResponse,
  type Booking,
  type BookingStatus,
  type Payment,
  type Shift,
  type StaffAccount,
  type VaccineKind,
} from '@happytail/aim-admin-client';

export async function usage(): Promise<void> {
  const api = createAimClient({ baseUrl: 'http://127.0.0.1:8080' });
  await api.login('manager@happytail.example', 'happytail-demo');
  const answer: AimChatResponse = await api.chat("How's today looking?");
  const again = await api.chat('And tomorrow?', answer.conversationId);
  let written = '';
  const running = new Set<string>();
  const turn = new AbortController();
  const streamed = await api.chatStream('Book Pepper for daycare next Friday', again.conversationId, {
    signal: turn.signal,
    onEvent: (event: AimChatEvent) => {
      if (event.type === 'text_delta') written += event.text;
      else if (event.type === 'tool_call_started') running.add(event.id);
      else if (event.type === 'tool_call_finished' && !event.isError) running.delete(event.id);
      else if (event.type === 'action_pending') console.log(event.action.summary);
      else if (event.type === 'failed') console.log(event.error.code);
    },
  });
  const stopped: boolean = streamed.cancelled || (await api.cancelChat(streamed.conversationId));
  for await (const e of readEventStream(new Response('data: 1\n\n').body!)) console.log(e.event, e.data, written, stopped);
  const conversations = await api.getConversations();
  const detail = await api.getConversation(conversations[0]?.id ?? again.conversationId);
  const tools: string[] = detail.messages.flatMap((m) => (m.toolCalls ?? []).map((t) => t.name));
  const unread = await api.getAlerts(true);
  const read = await api.markAlertRead(unread[0].id);
  const resolved = await api.resolveAlert(read.id);
  await api.archiveConversation(detail.id);
  for (const action of answer.pendingActions ?? []) {
    await (action.tool === 'create_booking' ? api.confirmAction(action.id) : api.cancelAction(action.id));
  }
  const stop = api.subscribeAlerts((event: AimAlertEvent) => {
    if (event.kind === 'created' && event.alert.severity === 'critical') console.log(event.alert.title);
  }, { minSeverity: 'warning', after: null });
  stop();
  try {
    await api.getConversation('nope');
  } catch (err) {
    if (err instanceof AimApiError && err.code === 'not_found') console.log(tools, resolved.resolvedAt);
  }
}

/** The front desk's day, as the desk page does it. */
export async function frontDesk(): Promise<void> {
  const api = createAimClient();
  const { date, dogsOnSite, capacity } = await api.getFacilityStatus();
  const owner = await api.createCustomer({ firstName: 'Ada', lastName: 'Lovelace', phone: '555-0100' });
  const dog = await api.createDog({ ownerId: owner.id, name: 'Byron', breed: null });
  const kinds: VaccineKind[] = ['RABIES', 'DHPP', 'BORDETELLA'];
  for (const kind of kinds) await api.recordVaccination({ dogId: dog.id, kind, expiresOn: '2099-01-01' });
  const [booked] = await api.createBooking({ customerId: owner.id, dogIds: [dog.id], service: 'DAYCARE', startDate: date });
  const expected: BookingStatus[] = ['PENDING', 'CONFIRMED'];
  const { bookings, nextCursor } = await api.getBookings({ from: date, status: expected, first: 100 });
  const lapsed = bookings.flatMap((b: Booking) =>
    b.dogs.filter((d) => d.vaccinationStatus !== 'CURRENT').map((d) => `${d.name}: ${d.requiredVaccinations[0]?.expiresOn ?? 'missing'}`),
  );
  try {
    await api.checkInBooking(booked.id);
  } catch (err) {
    if (err instanceof AimApiError && err.code === 'vaccination_expired') console.log(err.message);
  }
  const out: Booking = await api.checkOutBooking(booked.id);
  const moved = await api.rescheduleBooking(booked.id, { startDate: date }, out.updatedAt).catch(() => null);
  const renamed = await api.updateCustomer(owner.id, { phone: null, notes: 'Prefers texts' }, owner.updatedAt);
  const detail = await api.getCustomer(renamed.id);
  const dogDetail = await api.getDog(dog.id);
  const page = await api.getCustomers({ search: 'Lovelace', first: 5, after: nextCursor });
  const { entries } = await api.getAuditLog({ entityId: booked.id });
  const services = await api.getServices();
  console.log(dogsOnSite <= capacity, lapsed, moved?.status, detail?.dogs.length, dogDetail?.vaccinations[0]?.kind, page.customers[0]?.name, entries[0]?.action, services[0]?.priceCents);
}

/** A manager's day: the rota, the till and the staff list. */
export async function managerDesk(): Promise<void> {
  const api = createAimClient();
  const { date } = await api.getFacilityStatus();
  const staff: StaffAccount[] = await api.getStaffUsers();
  const handler = staff.find((s) => s.role === 'STAFF' && s.active);
  if (!handler) return;
  const shift: Shift = await api.createShift({ staffUserId: handler.id, date, start: '08:00', end: '16:00', role: 'HANDLER' });
  const withLunch = await api.addShiftBreak(shift.id, { start: '12:00', end: '12:30', type: 'LUNCH' });
  const moved = await api.updateShift(shift.id, { end: '17:00', role: null }, withLunch.updatedAt);
  const lunch = moved.breaks.find((b) => b.type === 'LUNCH');
  if (lunch) await api.removeShiftBreak(lunch.id);
  const rota = await api.getShifts(date);
  const deleted: string = await api.deleteShift(shift.id);
  const paid: Payment = await api.recordPayment({ customerId: handler.id, amountCents: 4500, method: 'CARD' });
  const refund = await api.refundPayment(paid.id, { amountCents: 500, reason: 'Left early' });
  const rest = await api.refundPayment(paid.id);
  const { payments, nextCursor } = await api.getPayments({ from: date, to: date, first: 50 });
  const refunded = payments.filter((p) => p.status === 'REFUNDED' && p.refundOf === paid.id);
  try {
    await api.createStaffUser({ email: 'sam@happytail.example', name: 'Sam', role: 'STAFF', password: 'correct horse battery' });
    await api.updateStaffUser(handler.id, { active: false });
  } catch (err) {
    if (err instanceof AimApiError && err.code === 'forbidden') console.log('admins only');
  }
  const changed: boolean = await api.changePassword('happytail-demo', 'a much longer password');
  console.log(rota.map((s) => `${s.staffUser.name} ${s.start}–${s.end}`), deleted, refund.amountCents + rest.amountCents, refunded.length, nextCursor, changed);
}
