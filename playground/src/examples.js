// The default tab of GraphiQL: the calls the original design accepted AIM by, as GraphQL.
export const EXAMPLES = `# Welcome to the AIM GraphQL playground.
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
`;
