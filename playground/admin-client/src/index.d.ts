// Types of the AIM admin client. The chat, conversations, actions and alerts have the shapes of
// the REST API (camelCase JSON, enumerations in lower case as stored; see /api/v2/openapi.json);
// the facility's records (customers, dogs, bookings, …) those of the GraphQL schema
// (schema.graphql: enumerations in upper case), with the fields the client selects.

export type Uuid = string;
/** An RFC 3339 instant in UTC. */
export type Instant = string;

export type StaffRole = 'staff' | 'manager' | 'admin';
export type ConversationStatus = 'active' | 'archived';
export type MessageRole = 'user' | 'assistant';
export type AlertType = 'staffing_gap' | 'capacity_warning' | 'compliance' | 'weather' | 'booking_spike';
export type AlertSeverity = 'info' | 'warning' | 'critical';
export type ActionStatus = 'pending' | 'confirmed' | 'executed' | 'cancelled' | 'expired' | 'failed' | (string & {});

export interface StaffUser {
  id: Uuid;
  email: string;
  name: string;
  role: StaffRole;
  [field: string]: unknown;
}

export interface LoginResponse {
  token: string;
  expiresAt: Instant;
  staffUser: StaffUser;
}

/** A booking or text AIM proposed, waiting for the conversation's owner while `pending`. */
export interface AimAction {
  id: Uuid;
  conversationId: Uuid;
  tool: 'create_booking' | 'send_sms_to_customer' | (string & {});
  summary: string;
  input: unknown;
  status: ActionStatus;
  result?: unknown;
  error?: string | null;
  createdAt: Instant;
  expiresAt: Instant;
  decidedAt?: Instant | null;
  completedAt?: Instant | null;
}

/** The seed's `AimChatOutput`, plus the stored message's id and any proposed actions. */
export interface AimChatResponse {
  responseText: string;
  conversationId: Uuid;
  toolsUsed: string[];
  modelUsed: string;
  messageId: Uuid;
  pendingActions?: AimAction[];
  /** The turn was stopped (`cancelChat`): `responseText` is what AIM had said by then. */
  cancelled: boolean;
}

/**
 * An event of a streamed chat turn, in order. Text before a round of tool calls is AIM thinking
 * aloud; the text after the last tool is the answer. The tools of one round may interleave.
 */
export type AimChatEvent =
  /** The first event: the conversation the turn belongs to (new unless one was given). */
  | { type: 'started'; conversationId: Uuid }
  /** More of the model's text. */
  | { type: 'text_delta'; text: string }
  | { type: 'tool_call_started'; id: string; name: string; input: unknown }
  /** Ends the `tool_call_started` of the same `id`. */
  | { type: 'tool_call_finished'; id: string; name: string; isError: boolean; durationMs: number }
  /** AIM proposed an action; it waits for `confirmAction` or `cancelAction`. */
  | { type: 'action_pending'; action: AimAction }
  /** The last event of a turn that was answered or stopped. */
  | { type: 'completed'; response: AimChatResponse }
  /** The last event of a turn that failed; `chatStream` rejects with this error. */
  | { type: 'failed'; error: AimApiError };

export interface ChatStreamOptions {
  /** Called for each event as it arrives. */
  onEvent?: (event: AimChatEvent) => void;
  /** Aborting it closes the stream, which stops the turn; `chatStream` rejects with its reason. */
  signal?: AbortSignal;
}

/** One event of a `text/event-stream`: `event` is `message` when the server named none. */
export interface ServerSentEvent {
  event: string;
  data: string;
  id: string;
}

export interface AimConversation {
  id: Uuid;
  staffUserId: Uuid;
  title: string | null;
  status: ConversationStatus;
  createdAt: Instant;
  updatedAt: Instant;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** A tool call an answer made, as stored with the message. */
export interface AimToolCall {
  id: string;
  name: string;
  input: unknown;
  output: unknown;
  isError: boolean;
  durationMs: number;
  round: number;
}

export interface AimMessage {
  id: Uuid;
  conversationId: Uuid;
  role: MessageRole;
  content: string;
  toolCalls: AimToolCall[] | null;
  modelUsed: string | null;
  createdAt: Instant;
  inputTokens?: number | null;
  outputTokens?: number | null;
  cacheReadTokens?: number | null;
  cacheWriteTokens?: number | null;
  /** An answer that was stopped before it was complete. */
  cancelled: boolean;
}

/** A conversation with its messages (oldest first) and its actions (newest first). */
export interface AimConversationDetail extends AimConversation {
  messages: AimMessage[];
  actions: AimAction[];
}

export interface AimAlert {
  id: Uuid;
  type: AlertType;
  severity: AlertSeverity;
  title: string;
  description: string;
  data: Record<string, unknown> | null;
  readAt: Instant | null;
  resolvedAt: Instant | null;
  createdAt: Instant;
}

export interface AimAlertEvent {
  /** Pass as `after` to a later subscription to receive what came after this event. */
  cursor: string;
  kind: 'created' | 'read' | 'resolved';
  alert: AimAlert;
}

export interface ConversationQuery {
  /** Page size (20 by default, at most 100). */
  limit?: number;
  cursor?: string | null;
  status?: ConversationStatus | 'all';
}

export interface AlertQuery {
  unread?: boolean;
  resolved?: boolean;
  type?: AlertType;
  limit?: number;
  cursor?: string | null;
}

export type SubscriptionStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized' | 'closed';

export interface SubscribeAlertsOptions {
  /** Only events of alerts at least this severe. */
  minSeverity?: AlertSeverity;
  /** Start after this event's cursor (replays what came since). */
  after?: string | null;
  onError?: (error: Error & { code?: number }) => void;
  onStatus?: (status: SubscriptionStatus, detail?: string) => void;
}

// --- The facility (GraphQL) --------------------------------------------------------------

/** A calendar date in the facility's time zone, `YYYY-MM-DD`. */
export type FacilityDate = string;

export type BookingStatus = 'PENDING' | 'CONFIRMED' | 'CHECKED_IN' | 'CHECKED_OUT' | 'CANCELLED' | 'NO_SHOW';
export type ServiceKind = 'DAYCARE' | 'BOARDING' | 'GROOMING' | 'TRAINING';
export type VaccineKind = 'RABIES' | 'DHPP' | 'BORDETELLA' | 'LEPTOSPIROSIS' | 'CANINE_INFLUENZA' | 'LYME';
/** How a dog's required vaccinations stand today. */
export type VaccinationState = 'CURRENT' | 'EXPIRING_SOON' | 'EXPIRED' | 'MISSING';
/** What is wrong with a vaccination (compliance flags). */
export type VaccinationStatus = 'EXPIRED' | 'MISSING' | 'EXPIRING_SOON';
export type ShiftRole = 'HANDLER' | 'FRONT_DESK' | 'GROOMER' | 'TRAINER' | 'MANAGER';
/** A staff user's role in the schema (`StaffRole`); the REST shapes have it in lower case. */
export type StaffAccountRole = 'STAFF' | 'MANAGER' | 'ADMIN';
export type BreakType = 'LUNCH' | 'SHORT' | 'PERSONAL';
export type PaymentMethod = 'CARD' | 'CASH' | 'CHECK' | 'POINTS' | 'OTHER';
/** A payment's state; a refund is a payment of its own, `REFUNDED`. */
export type PaymentStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'REFUNDED';
/** Through which door a write came. */
export type AuditChannel = 'GRAPHQL' | 'REST' | 'AIM' | 'CLI' | 'SYSTEM';

/** One page of a list, and the cursor to pass as `after` for the next (null on the last). */
export type Page<K extends string, T> = { [key in K]: T[] } & { nextCursor: string | null };

export interface PageQuery {
  /** Items on the page: 20 unless given, at most 100. */
  first?: number | null;
  /** The `nextCursor` of the previous page. */
  after?: string | null;
}

export interface Customer {
  id: Uuid;
  firstName: string;
  lastName: string;
  /** First and last name. */
  name: string;
  /** Lower-case. */
  email: string | null;
  phone: string | null;
  notes: string | null;
  createdAt: Instant;
  /** Pass it as `expectedUpdatedAt` to `updateCustomer`. */
  updatedAt: Instant;
}

/** A customer with their dogs, by name. */
export interface CustomerDetail extends Customer {
  dogs: Dog[];
}

/** A customer, briefly (the schema's `CustomerBrief`). */
export interface CustomerBrief {
  id: Uuid;
  name: string;
  phone: string | null;
}

/** A required vaccination (rabies, DHPP, bordetella) as it stands today. */
export interface RequiredVaccination {
  kind: VaccineKind;
  /** The latest expiry on record; null when never recorded. */
  expiresOn: FacilityDate | null;
  status: VaccinationState;
}

/** A dog's compliance today. */
export interface DogVaccinations {
  /** The worst state among the required vaccinations. */
  vaccinationStatus: VaccinationState;
  requiredVaccinations: RequiredVaccination[];
}

export interface Dog extends DogVaccinations {
  id: Uuid;
  name: string;
  breed: string | null;
  birthdate: FacilityDate | null;
  notes: string | null;
  createdAt: Instant;
  /** Pass it as `expectedUpdatedAt` to `updateDog`. */
  updatedAt: Instant;
  owner: CustomerBrief;
}

/** A dog with every vaccination on record, newest expiry first. */
export interface DogDetail extends Dog {
  vaccinations: Vaccination[];
}

/** A dog as a booking lists it. */
export interface BookedDog extends DogVaccinations {
  id: Uuid;
  name: string;
  breed: string | null;
}

/** A dog, briefly (the schema's `DogBrief`). */
export interface DogBrief {
  id: Uuid;
  name: string;
  breed: string | null;
}

export interface Vaccination {
  id: Uuid;
  dogId: Uuid;
  kind: VaccineKind;
  administeredOn: FacilityDate | null;
  expiresOn: FacilityDate;
  createdAt: Instant;
}

export interface Booking {
  id: Uuid;
  customer: CustomerBrief;
  /** By name. */
  dogs: BookedDog[];
  service: ServiceKind;
  /** Drop-off. */
  startAt: Instant;
  /** Pick-up. */
  endAt: Instant;
  /** The first facility day the booking occupies. */
  startDate: FacilityDate;
  /** The last facility day the booking occupies. */
  endDate: FacilityDate;
  status: BookingStatus;
  /** Not checked in an hour after its start. */
  late: boolean;
  notes: string | null;
  checkedInAt: Instant | null;
  checkedOutAt: Instant | null;
  /** When it was cancelled or marked a no-show. */
  cancelledAt: Instant | null;
  cancelReason: string | null;
  createdAt: Instant;
  /** Pass it as `expectedUpdatedAt` to `rescheduleBooking`. */
  updatedAt: Instant;
}

export interface Service {
  kind: ServiceKind;
  name: string;
  /** Per dog per day (boarding: per night), in cents. */
  priceCents: number;
  active: boolean;
}

export interface AuditLogEntry {
  id: Uuid;
  at: Instant;
  /** The staff user who acted; null for the command line on the server. */
  actor: { id: Uuid; email: string; name: string } | null;
  channel: AuditChannel;
  /** What was done, e.g. `customer.create`, `booking.check_in`. */
  action: string;
  /** What kind of record, e.g. `customer`, `booking`. */
  entityType: string;
  entityId: Uuid;
  /** The fields changed. */
  changes: Record<string, { before?: unknown; after?: unknown }>;
  /** The API request that made it, if any. */
  requestId: string | null;
}

export interface StaffOnDuty {
  staffUserId: Uuid;
  name: string;
  role: ShiftRole;
  /** Shift start, local `HH:MM`. */
  start: string;
  /** Shift end, local `HH:MM`. */
  end: string;
  onBreak: boolean;
}

/** A drop-off (arrivals) or pick-up (departures) of the day. */
export interface FacilityMovement {
  bookingId: Uuid;
  /** Local time, `HH:MM`. */
  time: string;
  service: ServiceKind;
  status: BookingStatus;
  customer: CustomerBrief;
  dogs: DogBrief[];
  /** Not checked in an hour after the booked drop-off (arrivals only). */
  late: boolean;
}

/** A dog booked on the day whose vaccination needs attention. */
export interface ComplianceFlag {
  dogId: Uuid;
  dogName: string;
  owner: CustomerBrief;
  vaccine: VaccineKind;
  status: VaccinationStatus;
  /** The latest expiry on record; null when never recorded. */
  expiresOn: FacilityDate | null;
  nextBooking: FacilityDate | null;
  invalidOnNextBooking: boolean;
  firstInvalidBooking: FacilityDate | null;
}

/** Staffing of one hour, `[hour, hour + 1h)`. */
export interface StaffingHour {
  /** Local `HH:MM`. */
  hour: string;
  dogs: number;
  staffOnDuty: number;
  dogsPerStaff: number | null;
  overRatio: boolean;
  noStaff: boolean;
}

/** The facility at one moment of one day. */
export interface FacilityStatus {
  /** The day (facility time zone). */
  date: FacilityDate;
  at: Instant;
  /** That moment's local time, `HH:MM`. */
  localTime: string;
  /** Dogs checked in and not yet checked out. */
  dogsOnSite: number;
  /** Dogs booked on the day who have not arrived yet (nor been cancelled or a no-show). */
  dogsExpected: number;
  /** Distinct dogs booked on the day. */
  dogsBooked: number;
  /** Dogs the facility takes in a day. */
  capacity: number;
  /** Capacity minus dogs booked (negative when overbooked). */
  placesLeft: number;
  occupancyPercent: number;
  staffOnDuty: StaffOnDuty[];
  arrivals: FacilityMovement[];
  departures: FacilityMovement[];
  complianceFlags: ComplianceFlag[];
  staffingGaps: StaffingHour[];
}

export interface CustomerInput {
  firstName: string;
  lastName: string;
  email?: string | null;
  phone?: string | null;
  notes?: string | null;
}

/** Changes to a customer: a field left out stays as it is; `null` clears it. */
export interface CustomerPatch {
  firstName?: string;
  lastName?: string;
  email?: string | null;
  phone?: string | null;
  notes?: string | null;
}

export interface DogInput {
  ownerId: Uuid;
  name: string;
  breed?: string | null;
  birthdate?: FacilityDate | null;
  notes?: string | null;
}

/** Changes to a dog: a field left out stays as it is; `null` clears it. */
export interface DogPatch {
  /** Another customer who now owns the dog. */
  ownerId?: Uuid;
  name?: string;
  breed?: string | null;
  birthdate?: FacilityDate | null;
  notes?: string | null;
}

/** A vaccination seen on a certificate. */
export interface VaccinationInput {
  dogId: Uuid;
  kind: VaccineKind;
  administeredOn?: FacilityDate | null;
  expiresOn: FacilityDate;
}

/** A booking request: the checks of AIM's `create_booking` (vaccinations, capacity, …). */
export interface BookingInput {
  customerId: Uuid;
  dogIds: Uuid[];
  service: ServiceKind;
  startDate: FacilityDate;
  /**
   * Last day (daycare, grooming, training: default `startDate`; one booking per day) or
   * check-out day (boarding: default the day after `startDate`).
   */
  endDate?: FacilityDate | null;
  notes?: string | null;
}

/** New dates for a booking not yet arrived. */
export interface RescheduleInput {
  startDate: FacilityDate;
  /** Boarding: the check-out day (default the day after); other services: `startDate`. */
  endDate?: FacilityDate | null;
}

export interface BookingQuery extends PageQuery {
  /** The first day (facility date). */
  from: FacilityDate;
  /** The last day, inclusive (default `from`; at most 366 days in all). */
  to?: FacilityDate;
  /** Only these statuses (default all, cancelled ones and no-shows included). */
  status?: BookingStatus[] | null;
  customerId?: Uuid | null;
}

export interface SearchQuery extends PageQuery {
  /** A name, phone number or email (customers), a name or breed (dogs): best matches first. */
  search?: string | null;
}

export interface AuditLogQuery extends PageQuery {
  /** A customer, dog, booking, … id: only its entries. */
  entityId?: Uuid | null;
}

/** A staff account (the schema's `StaffUser`). */
export interface StaffAccount {
  id: Uuid;
  /** Sign-in email, lower-case. */
  email: string;
  name: string;
  role: StaffAccountRole;
  /** Whether they can still sign in. */
  active: boolean;
  createdAt: Instant;
}

/** A break of a shift. */
export interface ShiftBreak {
  id: Uuid;
  /** Local `HH:MM`. */
  start: string;
  /** Local `HH:MM`. */
  end: string;
  type: BreakType;
}

/** A staff user's shift on a facility date, with its breaks. */
export interface Shift {
  id: Uuid;
  staffUser: Pick<StaffAccount, 'id' | 'name' | 'email' | 'role'>;
  date: FacilityDate;
  /** Local `HH:MM`. */
  start: string;
  /** Local `HH:MM`. */
  end: string;
  role: ShiftRole;
  /** Earliest first. */
  breaks: ShiftBreak[];
  /** When it (or one of its breaks) last changed: pass it as `expectedUpdatedAt` to `updateShift`. */
  updatedAt: Instant;
}

/** A new shift; it may not overlap another of the staff user's that day. */
export interface ShiftInput {
  /** An active staff user. */
  staffUserId: Uuid;
  date: FacilityDate;
  /** Local `HH:MM`. */
  start: string;
  /** Local `HH:MM`, after `start`. */
  end: string;
  role: ShiftRole;
}

/** Changes to a shift: a field left out (or null) stays as it is. */
export interface ShiftPatch {
  start?: string | null;
  end?: string | null;
  role?: ShiftRole | null;
}

/** A break inside its shift, overlapping none of its other breaks. */
export interface ShiftBreakInput {
  /** Local `HH:MM`. */
  start: string;
  /** Local `HH:MM`, after `start`. */
  end: string;
  type: BreakType;
}

/** A payment received, or a refund of one (`REFUNDED`, with `refundOf`). */
export interface Payment {
  id: Uuid;
  customer: { id: Uuid; name: string };
  /** The booking paid for, if any. */
  bookingId: Uuid | null;
  /** Always positive; a refund's amount is what was given back. */
  amountCents: number;
  method: PaymentMethod;
  status: PaymentStatus;
  paidAt: Instant | null;
  /** For a refund: the payment it gives back. */
  refundOf: Uuid | null;
  /** The payment's note, or the refund's reason. */
  note: string | null;
}

/** A payment received at the desk. */
export interface PaymentInput {
  customerId: Uuid;
  /** A booking of the same customer. */
  bookingId?: Uuid | null;
  /** 1 to 10,000,000. */
  amountCents: number;
  method: PaymentMethod;
  note?: string | null;
}

export interface RefundOptions {
  /** What to give back; left out: all that is left of the payment. */
  amountCents?: number | null;
  reason?: string | null;
}

export interface PaymentQuery extends PageQuery {
  /** The first day (facility date). */
  from: FacilityDate;
  /** The last day, inclusive (default `from`; at most 366 days in all). */
  to?: FacilityDate;
}

/** A new staff account. */
export interface StaffUserInput {
  email: string;
  name: string;
  role: StaffAccountRole;
  /** At least 12 characters. */
  password: string;
}

/** Changes to a staff account: a field left out (or null) stays as it is. */
export interface StaffUserChanges {
  role?: StaffAccountRole | null;
  /** False: they can no longer sign in. */
  active?: boolean | null;
}

export interface AimClientOptions {
  /** The server's origin, e.g. `http://127.0.0.1:8080`; empty (the default) in a page it serves. */
  baseUrl?: string;
  /** The WebSocket URL of GraphQL subscriptions; derived from `baseUrl` (or the page) by default. */
  wsUrl?: string;
  /** A staff token to start with (`login` sets one too). */
  token?: string | null;
  /** Asked before each request and connection; its answer wins over the stored token. */
  getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /** Called when the server answers 401 (token missing, expired or refused). */
  onUnauthorized?: (error: AimApiError) => void;
  fetch?: typeof fetch;
  /** A WebSocket constructor where there is no global one (Node < 22: the `ws` package). */
  WebSocket?: unknown;
}

export declare class AimApiError extends Error {
  /**
   * HTTP status; 0 when the server could not be reached (or a stream broke off); 200 for a
   * GraphQL error or a streamed turn that failed.
   */
  status: number;
  /** The API's error code (`not_found`, `invalid_input`, `unauthorized`, …). */
  code: string;
  requestId?: string;
  /** The input field at fault, for bad input. */
  field?: string;
}

export interface AimClient {
  /** Signs in with email and password; later calls carry the token. */
  login(email: string, password: string): Promise<LoginResponse>;
  setToken(token: string | null): void;
  readonly token: string | null;

  /**
   * Sends a message to AIM, in a new conversation unless `conversationId` is given. It goes
   * with an `Idempotency-Key`: if the answer is lost on the way (status 0) or the first
   * request is still being answered (409 `idempotency_key_in_use`), it is asked again (up to 3
   * times) with the same key, and the server answers from the one turn it ran.
   */
  chat(message: string, conversationId?: string | null): Promise<AimChatResponse>;
  /**
   * Sends a message and follows the answer as AIM writes it (server-sent events): `onEvent`
   * hears each event; resolves with the answer (also when stopped: `cancelled`); rejects with
   * `AimApiError` when the server refuses the message or the turn fails.
   */
  chatStream(message: string, conversationId?: string | null, options?: ChatStreamOptions): Promise<AimChatResponse>;
  /** Stops the conversation's running turn; false when none was running. */
  cancelChat(conversationId: string): Promise<boolean>;
  /** The caller's conversations, most recently used first (the first page unless `query` says). */
  getConversations(query?: ConversationQuery): Promise<AimConversation[]>;
  getConversationsPage(query?: ConversationQuery): Promise<{ conversations: AimConversation[]; nextCursor: string | null }>;
  getConversation(id: string): Promise<AimConversationDetail>;
  archiveConversation(id: string): Promise<AimConversation>;

  /** Alerts, newest first; `true`: unread only. */
  getAlerts(unread?: boolean | AlertQuery): Promise<AimAlert[]>;
  getAlertsPage(query?: AlertQuery): Promise<{ alerts: AimAlert[]; nextCursor: string | null }>;
  markAlertRead(id: string): Promise<AimAlert>;
  resolveAlert(id: string): Promise<AimAlert>;
  /** Alerts neither read nor resolved. */
  getUnreadAlertCount(): Promise<number>;

  getAction(id: string): Promise<AimAction>;
  confirmAction(id: string): Promise<AimAction>;
  cancelAction(id: string): Promise<AimAction>;

  /** The signed-in staff user. */
  me(): Promise<StaffUser>;
  /** Any GraphQL operation; throws `AimApiError` with the first error's `extensions.code`. */
  graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;

  // The facility, over GraphQL. Refusals are `AimApiError`s with the `extensions.code`
  // (`invalid_transition`, `vaccination_expired`, `vaccination_missing`, `capacity_full`,
  // `stale_update`, `already_exists`, `not_found`, `forbidden`, `invalid_input` with `field`).

  /** The facility now, or at noon on another day (facility date). */
  getFacilityStatus(date?: FacilityDate | null): Promise<FacilityStatus>;
  /** The services the facility sells. */
  getServices(): Promise<Service[]>;

  /** Customers, newest first, or the best matches of `search` (at most 50). */
  getCustomers(query?: SearchQuery): Promise<Page<'customers', Customer>>;
  /** A customer with their dogs; null when there is none with this id. */
  getCustomer(id: string): Promise<CustomerDetail | null>;
  /** `already_exists` (field `email` or `phone`) when another customer has the email or phone. */
  createCustomer(input: CustomerInput): Promise<Customer>;
  /** With `expectedUpdatedAt` (its `updatedAt` as read), `stale_update` if it changed since. */
  updateCustomer(id: string, patch: CustomerPatch, expectedUpdatedAt?: Instant | null): Promise<Customer>;

  /** Dogs, newest first, or the best matches of `search` (a name or breed; at most 50). */
  getDogs(query?: SearchQuery): Promise<Page<'dogs', Dog>>;
  /** A dog with its vaccinations; null when there is none with this id. */
  getDog(id: string): Promise<DogDetail | null>;
  createDog(input: DogInput): Promise<Dog>;
  /** With `expectedUpdatedAt` (its `updatedAt` as read), `stale_update` if it changed since. */
  updateDog(id: string, patch: DogPatch, expectedUpdatedAt?: Instant | null): Promise<Dog>;
  /** Records a vaccination; the latest expiry of each kind is the one that counts. */
  recordVaccination(input: VaccinationInput): Promise<Vaccination>;

  /** Bookings on the days `from` to `to`, in start order. */
  getBookings(query: BookingQuery): Promise<Page<'bookings', Booking>>;
  /** A booking; null when there is none with this id. */
  getBooking(id: string): Promise<Booking | null>;
  /**
   * Books, confirmed at once: one booking per day for daycare, grooming and training, one for
   * a whole boarding stay.
   */
  createBooking(input: BookingInput): Promise<Booking[]>;
  /** Confirms a pending booking. */
  confirmBooking(id: string): Promise<Booking>;
  /** Cancels a booking not yet arrived. */
  cancelBooking(id: string, reason?: string | null): Promise<Booking>;
  /** Moves a booking not yet arrived to other days, with the checks of a new booking. */
  rescheduleBooking(id: string, input: RescheduleInput, expectedUpdatedAt?: Instant | null): Promise<Booking>;
  /**
   * The dogs arrived, on one of the booking's days: `vaccination_expired` (or `_missing`) when a
   * required vaccination is not valid through its last day.
   */
  checkInBooking(id: string): Promise<Booking>;
  /** The dogs went home: `invalid_transition` unless checked in. */
  checkOutBooking(id: string): Promise<Booking>;
  /** The dogs never came (after the booking's start). */
  markNoShow(id: string): Promise<Booking>;

  /** Every write, newest first, or those of one record (managers and admins: else `forbidden`). */
  getAuditLog(query?: AuditLogQuery): Promise<Page<'entries', AuditLogEntry>>;

  // Shifts, payments and staff accounts. Writing shifts, and reading or writing payments:
  // managers and admins; staff are refused with `forbidden`.

  /** The shifts of a facility date, earliest first, with their breaks (any staff user). */
  getShifts(date: FacilityDate): Promise<Shift[]>;
  /** `invalid_input` (field `start`) when it overlaps another of the staff user's shifts. */
  createShift(input: ShiftInput): Promise<Shift>;
  /** With `expectedUpdatedAt` (its `updatedAt` as read), `stale_update` if it changed since. */
  updateShift(id: string, patch: ShiftPatch, expectedUpdatedAt?: Instant | null): Promise<Shift>;
  /** Deletes a shift with its breaks; resolves with its id. */
  deleteShift(id: string): Promise<Uuid>;
  /** Adds a break; resolves with the shift as it now stands. */
  addShiftBreak(shiftId: string, input: ShiftBreakInput): Promise<Shift>;
  /** Removes a break (by the break's id); resolves with its shift as it now stands. */
  removeShiftBreak(id: string): Promise<Shift>;

  /** Payments and refunds paid on the days `from` to `to`, newest first. */
  getPayments(query: PaymentQuery): Promise<Page<'payments', Payment>>;
  recordPayment(input: PaymentInput): Promise<Payment>;
  /**
   * Gives back part or all of a payment; resolves with the refund. `invalid_input` (field
   * `amountCents`) for more than is left of it.
   */
  refundPayment(id: string, options?: RefundOptions): Promise<Payment>;

  /** Every staff account, by name (managers and admins). */
  getStaffUsers(): Promise<StaffAccount[]>;
  /** Adds a staff account (admins). */
  createStaffUser(input: StaffUserInput): Promise<StaffAccount>;
  /** Changes a staff account's role, or whether they can sign in (admins). */
  updateStaffUser(id: string, changes: StaffUserChanges): Promise<StaffAccount>;
  /**
   * Changes the signed-in user's own password: `invalid_input` with field `current` (not their
   * password) or `new` (under 12 characters, or the same).
   */
  changePassword(current: string, next: string): Promise<boolean>;

  /**
   * Live alert events (created, read, resolved). After a lost connection it reconnects with
   * backoff and resumes after the last event received, so none is missed or seen twice.
   * Returns a function that stops it.
   */
  subscribeAlerts(onEvent: (event: AimAlertEvent) => void, options?: SubscribeAlertsOptions): () => void;
}

export declare function createAimClient(options?: AimClientOptions): AimClient;

/** Reads a `text/event-stream` body as it arrives; stopping the iteration cancels the body. */
export declare function readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent, void, undefined>;

/** A `text/event-stream` parser: `push` it text in pieces of any size; `onEvent` hears each event. */
export declare function createEventStreamParser(onEvent: (event: ServerSentEvent) => void): { push(text: string): void };

/** The cursor of a `Link: <…>; rel="next"` header, or null. */
export declare function nextCursor(link: string | null): string | null;
