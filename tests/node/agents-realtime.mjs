// @openai/agents-realtime RealtimeSession over a ws:// URL: a text turn, a tool call round trip, an interrupt.
import { RealtimeAgent, RealtimeSession, tool } from '@openai/agents-realtime';
import { z } from 'zod';
import { assert, EventLog, main, baseUrl, apiKey } from './lib.mjs';

main(async () => {
  const toolCalls = [];
  const getWeather = tool({
    name: 'get_weather',
    description: 'Get the weather for a city',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => { toolCalls.push(city); return `Sunny in ${city}`; },
  });
  const agent = new RealtimeAgent({ name: 'Assistant', instructions: 'Be brief.', tools: [getWeather] });
  const session = new RealtimeSession(agent, { transport: 'websocket', model: 'gpt-realtime', config: { outputModalities: ['text'] } });
  const log = new EventLog();
  session.on('transport_event', e => { if (e.type && e.event_id) log.push(e); });
  const url = `${baseUrl.replace(/^https:/, 'wss:').replace(/^http:/, 'ws:')}/realtime?model=gpt-realtime`;
  await session.connect({ apiKey, url });
  await log.waitFor(e => e.type === 'session.updated', 'session.updated');
  assert.ok(!log.events.some(e => e.type === 'error'), `setup errors: ${JSON.stringify(log.events.filter(e => e.type === 'error'))}`);

  // Text turn: the assistant's answer shows up in the SDK's history.
  session.sendMessage('Hello agent');
  await log.waitFor(e => e.type === 'response.done', 'first response.done');
  const assistant = () => session.history.filter(i => i.type === 'message' && i.role === 'assistant');
  await waitUntil(() => assistant().length >= 1, 'assistant message in history');
  const first = assistant()[0].content.map(c => c.text ?? c.transcript ?? '').join('');
  assert.ok(first.includes('Hello agent'), `history text: ${first}`);

  // Tool call round trip: the echo model calls get_weather, the SDK runs it and asks for the next response.
  let mark = log.events.length;
  session.sendMessage('What is the weather in Paris?');
  await waitUntil(() => toolCalls.length === 1, 'tool executed');
  assert.equal(toolCalls[0], 'Paris');
  await log.waitFor(e => e.type === 'response.done' && log.events.indexOf(e) > mark
    && e.response.output?.some(o => o.type === 'message'), 'response after tool output');
  const call = log.since(mark).find(e => e.type === 'response.output_item.done' && e.item.type === 'function_call');
  assert.equal(call.item.status, 'completed');
  assert.match(call.item.call_id, /^call_/);
  const output = log.since(mark).find(e => e.type === 'conversation.item.done' && e.item.type === 'function_call_output');
  assert.equal(output.item.call_id, call.item.call_id);

  // Interrupt: cancelling mid-response ends it with response.done (no stall in the SDK's queue).
  mark = log.events.length;
  session.sendMessage('Tell me a long story about the sea and the ships and the sailors who sail them every day');
  await log.waitFor(e => e.type === 'response.created' && log.events.indexOf(e) >= mark, 'response.created');
  session.interrupt();
  const done = await log.waitFor(e => e.type === 'response.done' && log.events.indexOf(e) >= mark, 'interrupted response.done');
  assert.ok(['cancelled', 'completed'].includes(done.response.status));
  session.close();
});

async function waitUntil(cond, what, ms = 15000) {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out: ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}
