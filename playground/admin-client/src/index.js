// The AIM admin app's client: the seed's `adminAimApi` (chat, conversations, alerts) over the
// REST shims under /api/v2/admin/aim, chat turns streamed as server-sent events as AIM writes
// them, pending actions, live alert events over GraphQL on a WebSocket (graphql-transport-ws),
// resumed after a lost connection from the last event seen, and the facility's records
// (customers, dogs, vaccinations, bookings and their moves at the front desk, the audit log,
// shifts and breaks, payments and refunds, staff accounts) over GraphQL, in the schema's shapes.

import { createClient } from 'graphql-ws';

const API = '/api/v2';

/** An error answer of the API: `{ error: { code, message, requestId, field? } }`. */
export class AimApiError extends Error {
  constructor(status, body, fallback) {
    const error = (body && typeof body === 'object' && body.error) || {};
    super(error.message || fallback || `HTTP ${status}`);
    this.name = 'AimApiError';
    this.status = status;
    this.code = error.code || (status === 0 ? 'network' : 'http_' + status);
    this.requestId = error.requestId;
    this.field = error.field;
  }
}

const ALERT_EVENTS = `subscription AlertEvents($minSeverity: AimAlertSeverity, $after: String) {
  aimAlertEvents(minSeverity: $minSeverity, after: $after) {
    cursor
    kind
    alert { id type severity title description data readAt resolvedAt createdAt }
  }
}`;

// The fields the facility functions read, once for every operation that returns the type.
const CUSTOMER_FIELDS = 'id firstName lastName name email phone notes createdAt updatedAt';
const REQUIRED_VACCINATIONS = 'vaccinationStatus requiredVaccinations { kind expiresOn status }';
const DOG_FIELDS = `id name breed birthdate notes createdAt updatedAt owner { id name phone } ${REQUIRED_VACCINATIONS}`;
const VACCINATION_FIELDS = 'id dogId kind administeredOn expiresOn createdAt';
const BOOKING_FIELDS = `id customer { id name phone } dogs { id name breed ${REQUIRED_VACCINATIONS} }
  service startAt endAt startDate endDate status late notes checkedInAt checkedOutAt cancelledAt
  cancelReason createdAt updatedAt`;
const AUDIT_FIELDS = 'id at actor { id email name } channel action entityType entityId changes requestId';
const FACILITY_STATUS_FIELDS = `date at localTime dogsOnSite dogsExpected dogsBooked capacity placesLeft
  occupancyPercent
  staffOnDuty { staffUserId name role start end onBreak }
  arrivals { bookingId time service status customer { id name phone } dogs { id name breed } late }
  departures { bookingId time service status customer { id name phone } dogs { id name breed } late }
  complianceFlags {
    dogId dogName owner { id name phone } vaccine status expiresOn nextBooking invalidOnNextBooking
    firstInvalidBooking
  }
  staffingGaps { hour dogs staffOnDuty dogsPerStaff overRatio noStaff }`;
const SHIFT_FIELDS = 'id staffUser { id name email role } date start end role breaks { id start end type } updatedAt';
const PAYMENT_FIELDS = 'id customer { id name } bookingId amountCents method status paidAt refundOf note';
const STAFF_USER_FIELDS = 'id email name role active createdAt';
const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';

/** Close codes after which reconnecting with the same token is pointless. */
const FORBIDDEN = 4403;

/**
 * Creates a client of one AIM server.
 *
 * @param {import('./index').AimClientOptions} [options]
 * @returns {import('./index').AimClient}
 */
/** How often a chat message whose answer was lost is asked again (0.5 s, 1 s, 2 s apart). */
const CHAT_RETRIES = 3;

/** A random (version 4) UUID; `crypto.randomUUID` is missing on pages served over plain HTTP. */
function newKey() {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function createAimClient(options = {}) {
  const baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  let token = options.token ?? null;

  async function currentToken() {
    if (options.getToken) {
      const t = await options.getToken();
      if (t) return t;
    }
    return token;
  }

  /** Sends a request; an answer other than 2xx is thrown as an `AimApiError`. */
  async function send(method, path, { body, accept = 'application/json', signal, idempotencyKey } = {}) {
    const headers = { Accept: accept };
    const t = await currentToken();
    if (t) headers.Authorization = `Bearer ${t}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    let response;
    try {
      response = await fetchImpl(baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new AimApiError(0, null, `cannot reach the server: ${err.message}`);
    }
    if (!response.ok) {
      const text = await response.text();
      const error = new AimApiError(response.status, parseJson(text), text.slice(0, 200));
      if (response.status === 401) options.onUnauthorized?.(error);
      throw error;
    }
    return response;
  }

  async function request(method, path, body) {
    const response = await send(method, path, { body });
    return { json: parseJson(await response.text()), next: nextCursor(response.headers.get('link')) };
  }

  /**
   * One plain chat turn, sent with an idempotency key: when the answer is lost on the way (the
   * connection dropped) or the first request is still being answered, it is asked again with
   * the same key, which the server answers from the first turn instead of running a second.
   */
  async function chat(message, conversationId) {
    const body = { message, conversationId: conversationId || undefined };
    const idempotencyKey = newKey();
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await send('POST', `${API}/admin/aim/chat`, { body, idempotencyKey });
        return parseJson(await response.text());
      } catch (err) {
        const again = err instanceof AimApiError && (err.status === 0 || err.code === 'idempotency_key_in_use');
        if (!again || attempt >= CHAT_RETRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
  }

  /** One chat turn as server-sent events; see `AimClient.chatStream`. */
  async function chatStream(message, conversationId, streamOptions = {}) {
    const { onEvent, signal } = streamOptions;
    const response = await send('POST', `${API}/admin/aim/chat`, {
      body: { message, conversationId: conversationId || undefined },
      accept: 'text/event-stream',
      signal,
    });
    if (!/^text\/event-stream/i.test(response.headers.get('content-type') ?? '')) {
      // A server that does not stream answers the whole turn at once.
      const event = chatEvent({ event: 'completed', data: await response.text() });
      onEvent?.(event);
      return event.response;
    }
    const events = readEventStream(response.body);
    try {
      for (;;) {
        let next;
        try {
          next = await events.next();
        } catch (err) {
          if (signal?.aborted) throw err;
          throw new AimApiError(0, null, `the connection broke off: ${err.message}`);
        }
        if (next.done) break;
        const event = chatEvent(next.value);
        if (!event) continue;
        onEvent?.(event);
        // Aborted meanwhile: what had arrived already is not reported either.
        if (signal?.aborted) throw signal.reason;
        if (event.type === 'completed') return event.response;
        if (event.type === 'failed') throw event.error;
      }
    } finally {
      await events.return(undefined); // closes the connection if it is still open
    }
    if (signal?.aborted) throw signal.reason;
    throw new AimApiError(0, null, 'the connection closed before the answer was complete');
  }

  const get = async (path) => (await request('GET', path)).json;
  const id = (value) => encodeURIComponent(String(value));

  async function getConversationsPage(query = {}) {
    const { json, next } = await request('GET', `${API}/admin/aim/conversations${queryString(query)}`);
    return { conversations: json, nextCursor: next };
  }

  async function getAlertsPage(query = {}) {
    const { json, next } = await request('GET', `${API}/admin/aim/alerts${queryString(query)}`);
    return { alerts: json, nextCursor: next };
  }

  async function graphql(query, variables) {
    const { json } = await request('POST', '/graphql', { query, variables });
    if (json?.errors?.length) {
      const first = json.errors[0];
      const ext = first.extensions || {};
      const error = new AimApiError(200, {
        error: { code: ext.code, message: first.message, requestId: ext.requestId, field: ext.field },
      });
      error.errors = json.errors;
      throw error;
    }
    return json.data;
  }

  /** A page of a connection: its nodes under `key`, and the cursor of the next page (or null). */
  function page(connection, key) {
    const { hasNextPage, endCursor } = connection.pageInfo;
    return { [key]: connection.edges.map((edge) => edge.node), nextCursor: hasNextPage ? endCursor ?? null : null };
  }

  /** Runs `mutation { field(args) { fields } }` and answers the field's value. */
  async function mutate(field, params, args, fields, variables) {
    const data = await graphql(`mutation (${params}) { ${field}(${args}) { ${fields} } }`, variables);
    return data[field];
  }

  /** A booking moved along its status by `field` (checkInBooking, …). */
  const moveBooking = (field) => (bookingId) => mutate(field, '$id: ID!', 'id: $id', BOOKING_FIELDS, { id: bookingId });

  const facility = {
    getFacilityStatus: async (date) =>
      (await graphql(`query ($date: Date) { facilityStatus(date: $date) { ${FACILITY_STATUS_FIELDS} } }`, { date: date ?? null }))
        .facilityStatus,
    getServices: async () => (await graphql('{ services { kind name priceCents active } }')).services,

    getCustomers: async ({ search, first, after } = {}) =>
      page(
        (
          await graphql(
            `query ($search: String, $first: Int, $after: String) {
              customers(search: $search, first: $first, after: $after) { edges { node { ${CUSTOMER_FIELDS} } } ${PAGE_INFO} }
            }`,
            { search: search ?? null, first: first ?? null, after: after ?? null },
          )
        ).customers,
        'customers',
      ),
    getCustomer: async (customerId) =>
      (await graphql(`query ($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} dogs { ${DOG_FIELDS} } } }`, { id: customerId }))
        .customer,
    createCustomer: (input) => mutate('createCustomer', '$input: CustomerInput!', 'input: $input', CUSTOMER_FIELDS, { input }),
    updateCustomer: (customerId, patch, expectedUpdatedAt) =>
      mutate(
        'updateCustomer',
        '$id: ID!, $input: CustomerPatch!, $expectedUpdatedAt: DateTime',
        'id: $id, input: $input, expectedUpdatedAt: $expectedUpdatedAt',
        CUSTOMER_FIELDS,
        { id: customerId, input: patch, expectedUpdatedAt: expectedUpdatedAt ?? null },
      ),

    getDogs: async ({ search, first, after } = {}) =>
      page(
        (
          await graphql(
            `query ($search: String, $first: Int, $after: String) {
              dogs(search: $search, first: $first, after: $after) { edges { node { ${DOG_FIELDS} } } ${PAGE_INFO} }
            }`,
            { search: search ?? null, first: first ?? null, after: after ?? null },
          )
        ).dogs,
        'dogs',
      ),
    getDog: async (dogId) =>
      (await graphql(`query ($id: ID!) { dog(id: $id) { ${DOG_FIELDS} vaccinations { ${VACCINATION_FIELDS} } } }`, { id: dogId })).dog,
    createDog: (input) => mutate('createDog', '$input: DogInput!', 'input: $input', DOG_FIELDS, { input }),
    updateDog: (dogId, patch, expectedUpdatedAt) =>
      mutate(
        'updateDog',
        '$id: ID!, $input: DogPatch!, $expectedUpdatedAt: DateTime',
        'id: $id, input: $input, expectedUpdatedAt: $expectedUpdatedAt',
        DOG_FIELDS,
        { id: dogId, input: patch, expectedUpdatedAt: expectedUpdatedAt ?? null },
      ),
    recordVaccination: (input) =>
      mutate('recordVaccination', '$input: VaccinationInput!', 'input: $input', VACCINATION_FIELDS, { input }),

    getBookings: async ({ from, to, status, customerId, first, after }) =>
      page(
        (
          await graphql(
            `query ($from: Date!, $to: Date!, $status: [BookingStatus!], $customerId: ID, $first: Int, $after: String) {
              bookings(from: $from, to: $to, status: $status, customerId: $customerId, first: $first, after: $after) {
                edges { node { ${BOOKING_FIELDS} } } ${PAGE_INFO}
              }
            }`,
            {
              from,
              to: to ?? from,
              status: status ?? null,
              customerId: customerId ?? null,
              first: first ?? null,
              after: after ?? null,
            },
          )
        ).bookings,
        'bookings',
      ),
    getBooking: async (bookingId) =>
      (await graphql(`query ($id: ID!) { booking(id: $id) { ${BOOKING_FIELDS} } }`, { id: bookingId })).booking,
    createBooking: (input) => mutate('createBooking', '$input: BookingInput!', 'input: $input', BOOKING_FIELDS, { input }),
    confirmBooking: moveBooking('confirmBooking'),
    cancelBooking: (bookingId, reason) =>
      mutate('cancelBooking', '$id: ID!, $reason: String', 'id: $id, reason: $reason', BOOKING_FIELDS, {
        id: bookingId,
        reason: reason ?? null,
      }),
    rescheduleBooking: (bookingId, input, expectedUpdatedAt) =>
      mutate(
        'rescheduleBooking',
        '$id: ID!, $input: RescheduleInput!, $expectedUpdatedAt: DateTime',
        'id: $id, input: $input, expectedUpdatedAt: $expectedUpdatedAt',
        BOOKING_FIELDS,
        { id: bookingId, input, expectedUpdatedAt: expectedUpdatedAt ?? null },
      ),
    checkInBooking: moveBooking('checkInBooking'),
    checkOutBooking: moveBooking('checkOutBooking'),
    markNoShow: moveBooking('markNoShow'),

    getAuditLog: async ({ entityId, first, after } = {}) =>
      page(
        (
          await graphql(
            `query ($entityId: ID, $first: Int, $after: String) {
              auditLog(entityId: $entityId, first: $first, after: $after) { edges { node { ${AUDIT_FIELDS} } } ${PAGE_INFO} }
            }`,
            { entityId: entityId ?? null, first: first ?? null, after: after ?? null },
          )
        ).auditLog,
        'entries',
      ),

    getShifts: async (date) =>
      (await graphql(`query ($date: Date!) { shifts(date: $date) { ${SHIFT_FIELDS} } }`, { date })).shifts,
    createShift: (input) => mutate('createShift', '$input: ShiftInput!', 'input: $input', SHIFT_FIELDS, { input }),
    updateShift: (shiftId, patch, expectedUpdatedAt) =>
      mutate(
        'updateShift',
        '$id: ID!, $input: ShiftPatch!, $expectedUpdatedAt: DateTime',
        'id: $id, input: $input, expectedUpdatedAt: $expectedUpdatedAt',
        SHIFT_FIELDS,
        { id: shiftId, input: patch, expectedUpdatedAt: expectedUpdatedAt ?? null },
      ),
    deleteShift: async (shiftId) =>
      (await graphql('mutation ($id: ID!) { deleteShift(id: $id) }', { id: shiftId })).deleteShift,
    addShiftBreak: (shiftId, input) =>
      mutate('addShiftBreak', '$shiftId: ID!, $input: ShiftBreakInput!', 'shiftId: $shiftId, input: $input', SHIFT_FIELDS, {
        shiftId,
        input,
      }),
    removeShiftBreak: (breakId) => mutate('removeShiftBreak', '$id: ID!', 'id: $id', SHIFT_FIELDS, { id: breakId }),

    getPayments: async ({ from, to, first, after }) =>
      page(
        (
          await graphql(
            `query ($from: Date!, $to: Date!, $first: Int, $after: String) {
              payments(from: $from, to: $to, first: $first, after: $after) { edges { node { ${PAYMENT_FIELDS} } } ${PAGE_INFO} }
            }`,
            { from, to: to ?? from, first: first ?? null, after: after ?? null },
          )
        ).payments,
        'payments',
      ),
    recordPayment: (input) => mutate('recordPayment', '$input: PaymentInput!', 'input: $input', PAYMENT_FIELDS, { input }),
    refundPayment: (paymentId, { amountCents, reason } = {}) =>
      mutate(
        'refundPayment',
        '$id: ID!, $amountCents: Int, $reason: String',
        'id: $id, amountCents: $amountCents, reason: $reason',
        PAYMENT_FIELDS,
        { id: paymentId, amountCents: amountCents ?? null, reason: reason ?? null },
      ),

    getStaffUsers: async () => (await graphql(`{ staffUsers { ${STAFF_USER_FIELDS} } }`)).staffUsers,
    createStaffUser: (input) =>
      mutate('createStaffUser', '$input: StaffUserInput!', 'input: $input', STAFF_USER_FIELDS, { input }),
    updateStaffUser: (staffUserId, { role, active } = {}) =>
      mutate(
        'updateStaffUser',
        '$id: ID!, $role: StaffRole, $active: Boolean',
        'id: $id, role: $role, active: $active',
        STAFF_USER_FIELDS,
        { id: staffUserId, role: role ?? null, active: active ?? null },
      ),
    changePassword: async (current, next) =>
      (
        await graphql('mutation ($current: String!, $next: String!) { changePassword(current: $current, new: $next) }', {
          current,
          next,
        })
      ).changePassword,
  };

  function wsUrl() {
    if (options.wsUrl) return options.wsUrl;
    const origin = baseUrl || globalThis.location?.origin;
    if (!origin) throw new Error('createAimClient: set baseUrl (or wsUrl) outside a browser');
    return origin.replace(/^http/, 'ws') + '/graphql/ws';
  }

  function subscribeAlerts(onEvent, subscribeOptions = {}) {
    const minSeverity = subscribeOptions.minSeverity
      ? String(subscribeOptions.minSeverity).toUpperCase()
      : undefined;
    let cursor = subscribeOptions.after ?? null;
    let stopped = false;
    let retries = 0;
    let timer = null;
    let unsubscribe = null;
    let connectedToken = null;
    const status = (s, detail) => subscribeOptions.onStatus?.(s, detail);

    const client = createClient({
      url: wsUrl(),
      webSocketImpl: options.WebSocket ?? globalThis.WebSocket,
      lazy: true,
      lazyCloseTimeout: 0,
      retryAttempts: 0,
      connectionParams: async () => {
        connectedToken = await currentToken();
        return connectedToken ? { Authorization: `Bearer ${connectedToken}` } : {};
      },
      on: {
        connected: () => {
          retries = 0;
          status('live');
        },
      },
    });

    function start() {
      if (stopped) return;
      status(retries === 0 ? 'connecting' : 'reconnecting');
      const variables = { minSeverity, after: cursor };
      unsubscribe = client.subscribe(
        { query: ALERT_EVENTS, variables },
        {
          next: (message) => {
            if (message.errors?.length) {
              subscribeOptions.onError?.(new Error(message.errors[0].message));
              return;
            }
            const event = message.data?.aimAlertEvents;
            if (!event) return;
            cursor = event.cursor;
            onEvent(alertEvent(event));
          },
          error: (err) => retry(err),
          complete: () => retry(null),
        },
      );
    }

    function retry(err) {
      unsubscribe = null;
      if (stopped) return;
      const code = err && typeof err === 'object' && 'code' in err ? err.code : undefined;
      const reason = closeReason(err);
      if (err) subscribeOptions.onError?.(Object.assign(new Error(reason), { code }));
      if (code === FORBIDDEN) {
        // A refused or expired token: retry only with another one.
        void currentToken().then((t) => {
          if (stopped) return;
          if (t && t !== connectedToken) {
            schedule();
          } else {
            status('unauthorized', reason);
          }
        });
        return;
      }
      schedule();
    }

    function schedule() {
      retries += 1;
      const base = Math.min(30_000, 500 * 2 ** Math.min(retries - 1, 6));
      const delay = base / 2 + Math.random() * (base / 2);
      status('reconnecting', `again in ${Math.round(delay / 100) / 10} s`);
      timer = setTimeout(start, delay);
    }

    start();
    return () => {
      stopped = true;
      clearTimeout(timer);
      unsubscribe?.();
      void client.dispose();
      status('closed');
    };
  }

  return {
    // Session
    async login(email, password) {
      const { json } = await request('POST', `${API}/auth/login`, { email, password });
      token = json.token;
      return json;
    },
    setToken(value) {
      token = value || null;
    },
    get token() {
      return token;
    },

    // The seed's adminAimApi
    chat,
    chatStream,
    cancelChat: async (conversationId) =>
      (await request('POST', `${API}/admin/aim/conversations/${id(conversationId)}/cancel`)).json.cancelled,
    getConversations: async (query) => (await getConversationsPage(query)).conversations,
    getConversation: (conversationId) => get(`${API}/admin/aim/conversations/${id(conversationId)}`),
    getAlerts: async (query) =>
      (await getAlertsPage(typeof query === 'object' && query !== null ? query : query ? { unread: true } : {})).alerts,
    markAlertRead: async (alertId) => (await request('PATCH', `${API}/admin/aim/alerts/${id(alertId)}/read`)).json,

    // Beyond the seed
    resolveAlert: async (alertId) => (await request('PATCH', `${API}/admin/aim/alerts/${id(alertId)}/resolve`)).json,
    archiveConversation: async (conversationId) =>
      (await request('DELETE', `${API}/admin/aim/conversations/${id(conversationId)}`)).json,
    getAction: (actionId) => get(`${API}/admin/aim/actions/${id(actionId)}`),
    confirmAction: async (actionId) => (await request('POST', `${API}/admin/aim/actions/${id(actionId)}/confirm`)).json,
    cancelAction: async (actionId) => (await request('POST', `${API}/admin/aim/actions/${id(actionId)}/cancel`)).json,
    getConversationsPage,
    getAlertsPage,
    getUnreadAlertCount: async () => (await graphql('{ aimUnreadAlertCount }')).aimUnreadAlertCount,
    me: async () => (await graphql('{ me { id email name role } }')).me,
    graphql,
    subscribeAlerts,

    // The facility (GraphQL)
    ...facility,
  };
}

/** The JSON of a body, or null when it is empty or not JSON. */
function parseJson(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** `?a=1&b=2` from the defined values of `query` (none: empty). */
function queryString(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** The `cursor` of the `Link: <…>; rel="next"` URL, if any. */
export function nextCursor(link) {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part);
    if (m) {
      const query = m[1].split('?')[1] || '';
      return new URLSearchParams(query).get('cursor');
    }
  }
  return null;
}

/** The events of a streamed chat turn; others (added later) are skipped. */
const CHAT_EVENTS = new Set([
  'started',
  'text_delta',
  'tool_call_started',
  'tool_call_finished',
  'action_pending',
  'completed',
  'failed',
]);

/** A server-sent event of a chat turn as an `AimChatEvent`, or null for one of another kind. */
function chatEvent({ event, data }) {
  if (!CHAT_EVENTS.has(event)) return null;
  let payload;
  try {
    payload = JSON.parse(data);
  } catch {
    throw new AimApiError(200, { error: { code: 'invalid_response', message: `unreadable ${event} event: ${data.slice(0, 200)}` } });
  }
  if (event === 'completed') return { type: event, response: { ...payload, cancelled: payload?.cancelled === true } };
  if (event === 'failed') return { type: event, error: new AimApiError(200, payload, 'the answer failed') };
  return { ...payload, type: event };
}

/**
 * Reads a `text/event-stream` body as it arrives: yields `{ event, data, id }` for each event
 * (`event` is `message` when the server named none). Stopping the iteration cancels the body.
 *
 * @param {ReadableStream<Uint8Array>} body
 * @returns {AsyncGenerator<import('./index').ServerSentEvent>}
 */
export async function* readEventStream(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events = [];
  const parser = createEventStreamParser((event) => events.push(event));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      parser.push(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      yield* events.splice(0);
      if (done) return;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/**
 * A parser of the `text/event-stream` format (WHATWG HTML, "server-sent events"): `push` it the
 * text as it comes, in pieces of any size; it calls `onEvent` for each complete event. Lines end
 * with LF, CRLF or CR; `:` lines are comments (keep-alives); the `data` lines of one event are
 * joined with LF; an event without data is not dispatched.
 *
 * @param {(event: import('./index').ServerSentEvent) => void} onEvent
 */
export function createEventStreamParser(onEvent) {
  let partial = ''; // the text of a line not yet ended
  let afterCR = false; // the last piece ended with CR, so a LF starting the next belongs to it
  let lastId = '';
  let name = '';
  let data = [];

  function line(text) {
    if (text === '') {
      if (data.length) onEvent({ event: name || 'message', data: data.join('\n'), id: lastId });
      name = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) lastId = value;
    // `retry` and unknown fields: nothing to do here.
  }

  return {
    push(text) {
      if (!text) return;
      if (afterCR && text[0] === '\n') text = text.slice(1);
      afterCR = false;
      let start = 0;
      const ends = /\r\n|\r|\n/g;
      for (let m; (m = ends.exec(text)); ) {
        if (m[0] === '\r' && m.index === text.length - 1) afterCR = true;
        line(partial + text.slice(start, m.index));
        partial = '';
        start = ends.lastIndex;
      }
      partial += text.slice(start);
    },
  };
}

/** An event of the subscription with its alert in the REST shape (lower-case enums). */
function alertEvent(event) {
  const a = event.alert;
  return {
    cursor: event.cursor,
    kind: String(event.kind).toLowerCase(),
    alert: {
      ...a,
      type: String(a.type).toLowerCase(),
      severity: String(a.severity).toLowerCase(),
    },
  };
}

function closeReason(err) {
  if (!err) return 'the subscription ended';
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && 'code' in err) {
    return `connection closed (${err.code}${err.reason ? `: ${err.reason}` : ''})`;
  }
  return String(err);
}

