// The AIM admin app's client: the seed's `adminAimApi` (chat, conversations, alerts) over the
// REST shims under /api/v2/admin/aim, pending actions, and live alert events over GraphQL on a
// WebSocket (graphql-transport-ws), resumed after a lost connection from the last event seen.

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

/** Close codes after which reconnecting with the same token is pointless. */
const FORBIDDEN = 4403;

/**
 * Creates a client of one AIM server.
 *
 * @param {import('./index').AimClientOptions} [options]
 * @returns {import('./index').AimClient}
 */
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

  async function request(method, path, body) {
    const headers = { Accept: 'application/json' };
    const t = await currentToken();
    if (t) headers.Authorization = `Bearer ${t}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetchImpl(baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new AimApiError(0, null, `cannot reach the server: ${err.message}`);
    }
    const text = await response.text();
    let json = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    if (!response.ok) {
      const error = new AimApiError(response.status, json, text.slice(0, 200));
      if (response.status === 401) options.onUnauthorized?.(error);
      throw error;
    }
    return { json, next: nextCursor(response.headers.get('link')) };
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
    chat: async (message, conversationId) =>
      (await request('POST', `${API}/admin/aim/chat`, { message, conversationId: conversationId || undefined })).json,
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
  };
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

