// Compile-only: the declared API reads as the admin app would use it (`npm run check`).
import {
  AimApiError,
  createAimClient,
  readEventStream,
  type AimAlertEvent,
  type AimChatEvent,
  type AimChatResponse,
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
