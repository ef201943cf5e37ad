// /playground: GraphiQL against this server, with the sign-in box of the playground. Queries
// and mutations go to /graphql with the session's token; subscriptions go over graphql-ws to
// /graphql/ws with the token in connection_init.

import '@graphiql/react/setup-workers/vite';
import 'graphiql/style.css';
import './playground.css';

import { useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws';

import { currentSession, mountSignIn, onSessionChange } from './session.js';
import { EXAMPLES } from './examples.js';

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql/ws`;

const SIGNED_OUT = JSON.stringify({
  errors: [{ message: 'Sign in above (or set an Authorization header in Headers) to run operations.' }],
});

/**
 * The introspection query with type references unwrapped 6 levels deep instead of 9: the
 * server refuses queries nested deeper than 12, and no type of this schema wraps deeper
 * than `[[X!]!]!`.
 */
function withinDepthLimit(query) {
  let typeRef = 'kind name';
  for (let i = 0; i < 6; i++) typeRef = `kind name ofType { ${typeRef} }`;
  return query.replace(/fragment TypeRef on __Type \{[\s\S]*$/, `fragment TypeRef on __Type { ${typeRef} }`);
}

/** fetch with the session's token, unless the Headers editor sets Authorization itself. */
async function authorizedFetch(url, init = {}) {
  const headers = new Headers(init.headers);
  const token = currentSession()?.token;
  if (token && !headers.has('authorization')) headers.set('Authorization', `Bearer ${token}`);
  if (!headers.has('authorization')) {
    return new Response(SIGNED_OUT, { status: 200, headers: { 'Content-Type': 'application/json' } });
  }
  return fetch(url, { ...init, headers });
}

function Playground() {
  const [token, setToken] = useState(() => currentSession()?.token ?? null);
  useEffect(() => onSessionChange((session) => setToken(session?.token ?? null)), []);

  // A new fetcher (and socket) per token: GraphiQL then loads the schema again.
  const { fetcher, wsClient } = useMemo(() => {
    const wsClient = createClient({
      url: wsUrl,
      lazy: true,
      connectionParams: () => (token ? { Authorization: `Bearer ${token}` } : {}),
    });
    const base = createGraphiQLFetcher({
      url: '/graphql',
      fetch: authorizedFetch,
      wsClient,
      enableIncrementalDelivery: false,
    });
    const fetcher = (params, options) =>
      base(params.operationName === 'IntrospectionQuery' ? { ...params, query: withinDepthLimit(params.query) } : params, options);
    return { fetcher, wsClient };
  }, [token]);
  useEffect(() => () => void wsClient.dispose(), [wsClient]);

  return (
    <GraphiQL
      fetcher={fetcher}
      // Signed out: no schema to load (the server would refuse); signing in loads it.
      schema={token ? undefined : null}
      defaultQuery={EXAMPLES}
      defaultEditorToolsVisibility={false}
      shouldPersistHeaders={false}
    >
      <GraphiQL.Logo>AIM</GraphiQL.Logo>
    </GraphiQL>
  );
}

mountSignIn(document.getElementById('signin'));
createRoot(document.getElementById('graphiql')).render(<Playground />);
