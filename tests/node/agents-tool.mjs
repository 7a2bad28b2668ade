// @openai/agents-realtime tool round trip against whatever model the server's profile runs (e.g. a LocalAI-style
// gRPC backend): the model calls get_weather, the SDK runs the tool, sends function_call_output and asks for the
// next response, whose text must show the tool's output. REALTIME_MODEL picks the profile, REALTIME_TOOL_PROMPT the
// user text, REALTIME_EXPECT the text the final answer must contain.
import { RealtimeAgent, RealtimeSession, tool } from '@openai/agents-realtime';
import { z } from 'zod';
import { assert, EventLog, main, baseUrl, apiKey } from './lib.mjs';

main(async () => {
  const calls = [];
  const getWeather = tool({
    name: 'get_weather',
    description: 'Get the weather for a city',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => { calls.push(city); return `Sunny in ${city}`; },
  });
  const agent = new RealtimeAgent({ name: 'Assistant', instructions: 'Use tools.', tools: [getWeather] });
  const model = process.env.REALTIME_MODEL ?? 'gpt-realtime';
  const session = new RealtimeSession(agent, { transport: 'websocket', model, config: { outputModalities: ['text'] } });
  const log = new EventLog();
  session.on('transport_event', e => { if (e.type && e.event_id) log.push(e); });
  await session.connect({ apiKey, url: `${baseUrl.replace(/^http/, 'ws')}/realtime?model=${encodeURIComponent(model)}` });
  await log.waitFor(e => e.type === 'session.updated', 'session.updated');

  session.sendMessage(process.env.REALTIME_TOOL_PROMPT ?? 'What is the weather in Paris?');
  const answered = await log.waitFor(e => e.type === 'response.done' && e.response.output?.some(o => o.type === 'message'), 'answer after the tool');
  assert.deepEqual(calls, ['Paris']);
  const call = log.events.find(e => e.type === 'response.output_item.done' && e.item.type === 'function_call');
  assert.equal(call.item.status, 'completed');
  assert.equal(JSON.parse(call.item.arguments).city, 'Paris');
  const text = answered.response.output.filter(o => o.type === 'message').flatMap(o => o.content).map(c => c.text ?? c.transcript ?? '').join('');
  assert.ok(text.includes(process.env.REALTIME_EXPECT ?? 'Sunny in Paris'), `answer: ${text}`);
  session.close();
});
