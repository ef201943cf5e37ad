import{c as h,j as i,r as a,a as m,G as d}from"./graphiql-BAdyMVNS.js";import{m as p,c as l,o as f}from"./session-N2R7nGCk.js";import{L as y}from"./graphql-SEUE9Dog.js";const g=`# Welcome to the AIM GraphQL playground.
#
# Sign in above (or paste a token); requests then carry "Authorization: Bearer …" and
# subscriptions send it in the WebSocket's connection_init. Pick an operation and run it
# with the ▶ button or Ctrl-Enter. The Docs panel lists every type and field.

# Who am I?
query Me {
  me { email name role }
}

# Chat with AIM: an answer with the facility's context, and the tools it used.
mutation HowsToday {
  aimChat(input: { message: "How's today looking?" }) {
    responseText
    conversationId
    toolsUsed
    modelUsed
  }
}

# Tools at work: find a customer.
mutation SearchMark {
  aimChat(input: { message: "Search for customer Mark Huggins" }) {
    responseText
    conversationId
    toolsUsed
  }
}

# History persists: continue a conversation (set conversationId in Variables).
mutation FollowUp($conversationId: ID) {
  aimChat(input: { message: "And how many dogs are here today?", conversationId: $conversationId }) {
    responseText
    conversationId
    toolsUsed
  }
}

# Your conversations with their latest messages and the tools each answer used.
query Conversations {
  aimConversations(first: 10) {
    edges {
      node {
        id
        title
        updatedAt
        messages(first: 20) {
          edges { node { role content createdAt toolCalls { name isError durationMs } } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}

# Alerts (may be empty at first) and the unread badge count.
query Alerts {
  aimUnreadAlertCount
  aimAlerts(first: 20, resolved: false) {
    edges { node { id type severity title description readAt createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}

# Mark an alert read (set id in Variables: { "id": "…" }).
mutation MarkRead($id: ID!) {
  markAimAlertRead(id: $id) { id readAt }
}

# Live alert events: created, read, resolved. Pass after: "<cursor>" to resume.
subscription AlertEvents {
  aimAlertEvents {
    cursor
    kind
    alert { id type severity title readAt resolvedAt }
  }
}
`,v=`${location.protocol==="https:"?"wss":"ws"}://${location.host}/graphql/ws`,A=JSON.stringify({errors:[{message:"Sign in above (or set an Authorization header in Headers) to run operations."}]});function w(t){let o="kind name";for(let e=0;e<6;e++)o=`kind name ofType { ${o} }`;return t.replace(/fragment TypeRef on __Type \{[\s\S]*$/,`fragment TypeRef on __Type { ${o} }`)}async function I(t,o={}){const e=new Headers(o.headers),n=l()?.token;return n&&!e.has("authorization")&&e.set("Authorization",`Bearer ${n}`),e.has("authorization")?fetch(t,{...o,headers:e}):new Response(A,{status:200,headers:{"Content-Type":"application/json"}})}function k(){const[t,o]=a.useState(()=>l()?.token??null);a.useEffect(()=>f(s=>o(s?.token??null)),[]);const{fetcher:e,wsClient:n}=a.useMemo(()=>{const s=y({url:v,lazy:!0,connectionParams:()=>t?{Authorization:`Bearer ${t}`}:{}}),c=m({url:"/graphql",fetch:I,wsClient:s,enableIncrementalDelivery:!1});return{fetcher:(r,u)=>c(r.operationName==="IntrospectionQuery"?{...r,query:w(r.query)}:r,u),wsClient:s}},[t]);return a.useEffect(()=>()=>{n.dispose()},[n]),i.jsx(d,{fetcher:e,schema:t?void 0:null,defaultQuery:g,defaultEditorToolsVisibility:!1,shouldPersistHeaders:!1,children:i.jsx(d.Logo,{children:"AIM"})})}p(document.getElementById("signin"));h.createRoot(document.getElementById("graphiql")).render(i.jsx(k,{}));
