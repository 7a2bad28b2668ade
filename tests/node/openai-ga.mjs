// openai-node's GA realtime client (OpenAIRealtimeWS over wss with a self-signed certificate):
// a text turn with the exact event order, an audio turn, and the error cases.
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { assert, EventLog, collapseDeltas, assertEventIds, main, baseUrl, apiKey } from './lib.mjs';

main(async () => {
  const client = new OpenAI({ apiKey, baseURL: baseUrl.replace(/^wss?:/, 'https:') });
  const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { rejectUnauthorized: false } }, client);
  const log = new EventLog();
  const errors = [];
  rt.on('event', e => log.push(e));
  rt.on('error', err => errors.push(err));
  await log.waitFor(e => e.type === 'session.created', 'session.created');
  assert.equal(log.events[0].type, 'session.created');
  const created = log.events[0].session;
  assert.equal(created.type, 'realtime');
  assert.match(created.id, /^sess_/);
  assert.deepEqual(created.output_modalities, ['audio']);
  assert.deepEqual(created.audio.input.format, { type: 'audio/pcm', rate: 24000 });

  // Text turn.
  rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
  const updated = await log.waitFor(e => e.type === 'session.updated', 'session.updated');
  assert.deepEqual(updated.session.output_modalities, ['text']);
  let mark = log.events.length;
  rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello there' }] } });
  rt.send({ type: 'response.create' });
  const done = await log.waitFor(e => e.type === 'response.done', 'response.done');
  await log.waitFor(e => e.type === 'rate_limits.updated', 'rate_limits.updated');
  assert.deepEqual(collapseDeltas(log.types(mark)), [
    'conversation.item.added', 'conversation.item.done',
    'response.created', 'response.output_item.added', 'conversation.item.added', 'response.content_part.added',
    'response.output_text.delta', 'response.output_text.done', 'response.content_part.done',
    'conversation.item.done', 'response.output_item.done', 'response.done', 'rate_limits.updated',
  ]);
  const turn = log.since(mark);
  const text = turn.filter(e => e.type === 'response.output_text.delta').map(e => e.delta).join('');
  assert.equal(turn.find(e => e.type === 'response.output_text.done').text, text);
  assert.ok(text.includes('Hello there'), `echo answer should repeat the user: ${text}`);
  assert.equal(done.response.status, 'completed');
  assert.match(done.response.id, /^resp_/);
  assert.equal(done.response.output[0].content[0].type, 'output_text');
  assert.equal(typeof done.response.usage.total_tokens, 'number');

  // Audio turn: transcript deltas match the done transcript, audio is whole PCM16 samples.
  mark = log.events.length;
  rt.send({ type: 'response.create', response: { output_modalities: ['audio'] } });
  await log.waitFor(e => e.type === 'response.done' && log.events.indexOf(e) >= mark, 'audio response.done');
  const audioTurn = log.since(mark);
  const types = collapseDeltas(audioTurn.map(e => e.type));
  assert.ok(types.includes('response.output_audio.delta'), `no audio deltas: ${types.join(', ')}`);
  assert.ok(!types.some(t => t.startsWith('response.output_text')), 'audio response must not send output_text');
  let bytes = 0;
  for (const e of audioTurn.filter(e => e.type === 'response.output_audio.delta')) bytes += Buffer.from(e.delta, 'base64').length;
  assert.equal(bytes % 2, 0);
  assert.ok(bytes > 24000, `too little audio: ${bytes} bytes`);
  const transcript = audioTurn.filter(e => e.type === 'response.output_audio_transcript.delta').map(e => e.delta).join('');
  assert.equal(audioTurn.find(e => e.type === 'response.output_audio_transcript.done').transcript, transcript);

  // Errors: the session stays open and echoes the client's event_id.
  mark = log.events.length;
  rt.socket.send('{not json');
  rt.send({ type: 'no.such.event', event_id: 'evt_unknown' });
  rt.send({ type: 'response.cancel', event_id: 'evt_cancel' });
  rt.send({ type: 'session.update', event_id: 'evt_voice', session: { type: 'realtime', audio: { output: { voice: 'nope' } } } });
  await log.waitFor(e => e.type === 'error' && e.error.event_id === 'evt_voice', 'voice error');
  const errs = log.since(mark).filter(e => e.type === 'error').map(e => e.error);
  assert.equal(errs[0].code, 'invalid_json');
  assert.deepEqual([errs[1].code, errs[1].param, errs[1].event_id], ['invalid_value', 'type', 'evt_unknown']);
  assert.deepEqual([errs[2].code, errs[2].event_id], ['response_cancel_not_active', 'evt_cancel']);
  assert.deepEqual([errs[3].code, errs[3].param], ['invalid_value', 'session.audio.output.voice']);

  // A second response.create while one is active. The first one speaks a long answer, so it is surely still
  // running when the second arrives (a short text echo can finish within microseconds).
  const longText = Array.from({ length: 40 }, (_, i) => `sentence number ${i} is here.`).join(' ');
  rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: longText }] } });
  await log.waitFor(e => e.type === 'conversation.item.done' && e.item.content?.[0]?.text === longText, 'long item');
  mark = log.events.length;
  rt.send({ type: 'response.create', event_id: 'evt_first', response: { output_modalities: ['audio'] } });
  rt.send({ type: 'response.create', event_id: 'evt_second' });
  const dup = await log.waitFor(e => e.type === 'error' && e.error.event_id === 'evt_second', 'duplicate response error');
  assert.equal(dup.error.code, 'conversation_already_has_active_response');
  await log.waitFor(e => e.type === 'response.done' && log.events.indexOf(e) >= mark, 'first response finishes');
  assert.equal(log.since(mark).filter(e => e.type === 'response.created').length, 1);

  assertEventIds(log.events);
  rt.close();
});
