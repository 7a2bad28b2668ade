// Raw `ws` client in the beta dialect (OpenAI-Beta: realtime=v1): beta event names and session shape.
import WebSocket from 'ws';
import { assert, EventLog, collapseDeltas, assertEventIds, main, baseUrl, apiKey } from './lib.mjs';

main(async () => {
  const url = `${baseUrl.replace(/^https:/, 'wss:').replace(/^http:/, 'ws:')}/realtime?model=gpt-4o-realtime-preview`;
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${apiKey}`, 'OpenAI-Beta': 'realtime=v1' }, rejectUnauthorized: false });
  const log = new EventLog();
  ws.on('message', data => log.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  assert.equal(ws.protocol, '');
  await log.waitFor(e => e.type === 'conversation.created', 'conversation.created');
  assert.deepEqual(log.types(), ['session.created', 'conversation.created']);
  const s = log.events[0].session;
  assert.equal(s.object, 'realtime.session');
  assert.deepEqual(s.modalities, ['text', 'audio']);
  assert.equal(s.input_audio_format, 'pcm16');
  assert.equal(s.turn_detection.type, 'server_vad');

  ws.send(JSON.stringify({ type: 'session.update', session: { modalities: ['text'] } }));
  await log.waitFor(e => e.type === 'session.updated', 'session.updated');
  const mark = log.events.length;
  ws.send(JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Beta hello' }] } }));
  ws.send(JSON.stringify({ type: 'response.create' }));
  await log.waitFor(e => e.type === 'response.done', 'response.done');
  const types = collapseDeltas(log.types(mark)).filter(t => t !== 'rate_limits.updated');
  assert.deepEqual(types, [
    'conversation.item.created', 'response.created', 'response.output_item.added', 'conversation.item.created',
    'response.content_part.added', 'response.text.delta', 'response.text.done', 'response.content_part.done',
    'response.output_item.done', 'response.done',
  ]);
  const done = log.events.find(e => e.type === 'response.done');
  assert.equal(done.response.output[0].content[0].type, 'text');
  assert.ok(done.response.output[0].content[0].text.includes('Beta hello'));
  assertEventIds(log.events);
  ws.close(1000, 'OK');
  const [code] = await new Promise(r => ws.once('close', (c, reason) => r([c, reason])));
  assert.equal(code, 1000);
});
