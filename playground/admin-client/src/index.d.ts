// Types of the AIM admin client. Field names and shapes are those of the REST API
// (camelCase JSON, enumerations in lower case as stored); see /api/v2/openapi.json.

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
