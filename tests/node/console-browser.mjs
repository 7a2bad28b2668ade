// Drives the browser console (GET /) in Debian's headless Chromium with a fake microphone that plays a shared
// speech fixture, against a running server that has API keys. The driver is puppeteer-core, pointed at the system
// binary (/usr/bin/chromium, or $CHROMIUM): no browser is downloaded. Usage (the C# ConsoleBrowserTests runs it):
//   REALTIME_HTTP=http://127.0.0.1:P REALTIME_HTTPS=https://127.0.0.1:Q REALTIME_API_KEY=sk-... \
//   CONSOLE_AUDIO=../../../shared/audio CONSOLE_SCREENSHOTS=dir node console-browser.mjs
// Checks: the key flow (ephemeral secret on the socket, key only in sessionStorage), states in order, the user's
// transcript and the echo reply, audio played, barge-in (playback stops, truncate with the played ms, the server's
// truncated echo), the demo tool, the error state, and the same page over wss://. Prints PASS or FAIL: reason.
import puppeteer from 'puppeteer-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assert, main } from './lib.mjs';

const httpBase = process.env.REALTIME_HTTP;
const httpsBase = process.env.REALTIME_HTTPS;
const apiKey = process.env.REALTIME_API_KEY;
const audioDir = process.env.CONSOLE_AUDIO;
const shots = process.env.CONSOLE_SCREENSHOTS;
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const WAIT = 45000;   // hang guard for one step; every wait is for an event, not a duration (the machine may be loaded)

/** The data chunk of a 16-bit mono PCM WAV fixture, and its rate. */
function readWav(file) {
  const wav = fs.readFileSync(file);
  let offset = 12, rate = 0, data = null;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      assert.equal(wav.readUInt16LE(offset + 8), 1, `${file} must be PCM`);
      assert.equal(wav.readUInt16LE(offset + 10), 1, `${file} must be mono`);
      assert.equal(wav.readUInt16LE(offset + 22), 16, `${file} must be 16-bit`);
      rate = wav.readUInt32LE(offset + 12);
    } else if (id === 'data') {
      data = wav.subarray(offset + 8, offset + 8 + size);
    }
    offset += 8 + size + (size & 1);
  }
  assert.ok(rate && data, `${file} has fmt and data chunks`);
  return { rate, data };
}

/**
 * The fake microphone's file, which Chromium loops: the weather question, then 8 s of silence. The test turns the
 * page's microphone off once the question has ended (so a slow transcript on a loaded machine cannot meet the next
 * loop) and on again while a long reply plays: the question's next loop is the utterance that barges in.
 */
function microphoneWav(dir) {
  const { rate, data } = readWav(path.join(audioDir, 'weather_question.wav'));
  const pcm = Buffer.concat([data, Buffer.alloc(rate * 8 * 2)]);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(36 + pcm.length, 4); header.write('WAVE', 8);
  header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24); header.writeUInt32LE(rate * 2, 28); header.writeUInt16LE(2, 32); header.writeUInt16LE(16, 34);
  header.write('data', 36); header.writeUInt32LE(pcm.length, 40);
  const file = path.join(dir, 'microphone.wav');
  fs.writeFileSync(file, Buffer.concat([header, pcm]));
  return file;
}

/** About 25 s of echo reply: longer than the microphone loop (11.6 s), so the next spoken question falls inside it. */
const LONG_MESSAGE = 'Please read this back to me slowly: the quick brown fox jumps over the lazy dog, then runs along the river bank, '
  + 'past the old mill and the quiet farm, across the wide green meadow and up the hill, where it rests under a tall oak tree '
  + 'until the evening comes, and then it walks back home through the dark woods, over the stone bridge and along the lane, '
  + 'to sleep in its warm den beside the stream.';

const normalize = (s) => s.toLowerCase().replace(/[^a-z0-9' ]+/g, ' ').replace(/\s+/g, ' ').trim();

/** Records every data-state the page passes through (states can be shorter than a poll). */
const recordStates = () => {
  window.__states = [];
  const note = () => {
    const s = document.body?.dataset.state;
    if (s && window.__states.at(-1) !== s) window.__states.push(s);
  };
  new MutationObserver(note).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
};

async function openConsole(context, url) {
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const wire = { sent: [], received: [], protocols: [] };
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  // Text frames carry their text in payloadData (binary ones base64, which is not JSON and so is skipped).
  cdp.on('Network.webSocketFrameSent', (e) => { try { wire.sent.push(JSON.parse(e.response.payloadData)); } catch { /* not JSON */ } });
  cdp.on('Network.webSocketFrameReceived', (e) => { try { wire.received.push(JSON.parse(e.response.payloadData)); } catch { /* not JSON */ } });
  cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => wire.protocols.push(e.request.headers['Sec-WebSocket-Protocol'] ?? ''));
  page.on('pageerror', (err) => console.error('page error:', err.message));
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/v1/models')) console.error('page fetch:', r.status(), r.url()); });
  page.on('console', (m) => { if (m.type() === 'error') console.error('page console:', m.text()); });
  await page.evaluateOnNewDocument(recordStates);
  await page.goto(url);
  return { page, wire, cdp };
}

const shot = (page, name) => page.screenshot({ path: path.join(shots, `${name}.png`) });
const stateIs = (page, state) => page.waitForFunction((s) => document.body.dataset.state === s, { timeout: WAIT }, state);
const seen = (page, state) => page.waitForFunction((s) => window.__states.includes(s), { timeout: WAIT }, state);
/** Polls a condition on what the test recorded (in Node, not the page) until it holds. */
async function until(condition, what) {
  for (const stop = Date.now() + WAIT; Date.now() < stop; await new Promise((r) => setTimeout(r, 50))) {
    if (condition()) return;
  }
  throw new Error(`timed out waiting for ${what}`);
}

const bodyAttribute = (page, name) => page.$eval('body', (el, n) => el.getAttribute(n), name);

/** A click once the element is in view, stable and enabled (#mic and #send-text are disabled until connected). */
const click = (page, selector) => page.locator(selector).setTimeout(WAIT).click();

/** Sets an input's value as typed text would (focus, value, input and change events) and checks the page holds it. */
async function fill(page, selector, text) {
  const input = await page.waitForSelector(selector, { visible: true, timeout: WAIT });
  const value = await input.evaluate((el, t) => {
    el.focus();
    el.value = t;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
    return el.value;
  }, text);
  await input.dispose();
  if (value !== text) throw new Error(`${selector} holds "${value}", not the text filled in`);
}

async function enterKey(page) {
  await page.waitForSelector('#auth-dialog[open]', { visible: true, timeout: WAIT });
  await fill(page, '#auth-key', apiKey);
  await click(page, '#auth-submit');
}

/** The user items and assistant items of #transcript, with what the page shows for each. */
const conversation = (page) => page.$$eval('#transcript > div', (els) => els.map((el) => ({
  role: el.dataset.role, id: el.dataset.itemId, text: el.textContent,
  playedMs: Number(el.dataset.playedMs ?? 0), audioMs: Number(el.dataset.audioMs ?? 0), partial: el.classList.contains('partial'),
})));

/** On a failure, what the page showed and what crossed the socket: the assertion alone rarely says why. */
async function explained(page, wire, steps) {
  try {
    await steps();
  } catch (err) {
    const shown = await conversation(page).catch(() => []);
    console.error('conversation:', JSON.stringify(shown));
    console.error('states:', JSON.stringify(await page.evaluate(() => window.__states).catch(() => null)));
    console.error('received:', wire.received.filter((e) => e.type !== 'response.output_audio.delta').map((e) => `${e.type}${e.audio_end_ms !== undefined ? '@' + e.audio_end_ms : ''}`).join(' '));
    console.error('sent:', wire.sent.filter((e) => e.type !== 'input_audio_buffer.append').map((e) => e.type).join(' '));
    throw err;
  }
}

/** The key flow, a typed turn with the demo tool and its spoken answer, and the error state, over ws://. */
async function textOverHttp(context) {
  const { page, wire } = await openConsole(context, `${httpBase}/`);
  await explained(page, wire, async () => {
    await enterKey(page);
    await page.waitForFunction(() => document.querySelector('#model option'), { timeout: WAIT });
    assert.equal(await bodyAttribute(page, 'data-state'), 'idle');
    await shot(page, 'idle');
    await click(page, '#connect');
    await seen(page, 'listening');
    assertEphemeralSocket(wire);
    const storage = await page.evaluate(() => ({ session: JSON.stringify(sessionStorage), local: JSON.stringify(localStorage) }));
    assert.ok(storage.session.includes(apiKey), 'key kept in sessionStorage');
    assert.ok(!storage.local.includes(apiKey), 'key not in localStorage');

    // The demo tool: the page runs get_local_time, sends its output and asks for the answer, which is spoken.
    await fill(page, '#text-input', 'What is the local time?');
    await click(page, '#send-text');
    await page.waitForFunction(() => [...document.querySelectorAll('#transcript > div[data-role="assistant"]')]
      .some((el) => el.textContent.includes('The tool returned') && Number(el.dataset.playedMs) > 0), { timeout: WAIT });
    const items = await conversation(page);
    const tool = items.find((i) => i.role === 'tool');
    assert.match(tool.text, /^get_local_time\(/, 'the tool call is shown');
    assert.match(tool.text, /→ \{"local_time":/, 'with its output');
    const output = wire.sent.find((e) => e.type === 'conversation.item.create' && e.item.type === 'function_call_output');
    assert.ok(output && JSON.parse(output.item.output).local_time, 'function_call_output sent');
    const answer = items.find((i) => i.role === 'assistant' && i.text.includes('The tool returned'));
    assert.ok(answer.text.includes(JSON.parse(output.item.output).local_time), `the answer holds the tool output: ${answer.text}`);
    assert.ok(Number(await bodyAttribute(page, 'data-played-ms')) > 0, 'the spoken answer plays: body data-played-ms grows');
    await shot(page, 'tool-call');

    // Live settings: each change goes out at once as session.update, and the server's session.updated carries it.
    const lastUpdated = () => wire.received.filter((e) => e.type === 'session.updated').at(-1)?.session;
    await page.select('#voice', 'verse');
    await fill(page, '#instructions', 'Answer like a ship captain.');
    await page.select('#turn-detection', 'semantic_vad');
    await page.select('#vad-eagerness', 'high');
    await click(page, '#transcription');   // off
    await page.select('#modalities', 'text');
    await until(() => lastUpdated()?.output_modalities?.[0] === 'text' && lastUpdated()?.audio?.input?.turn_detection?.eagerness === 'high',
      'session.updated with the settings changed in the page');
    const live = lastUpdated();
    // The assistant has spoken, so the voice is fixed: the server refuses that one change (as the hosted API does)
    // and the page shows the refusal in red; everything else applied.
    const refusal = wire.received.find((e) => e.type === 'error' && e.error.code === 'cannot_update_voice');
    assert.ok(refusal, 'changing the voice after audio is refused');
    await page.waitForFunction(() => [...document.querySelectorAll('#transcript > div[data-role="error"]')]
      .some((el) => el.textContent.includes('voice')), { timeout: WAIT });
    assert.equal(live.audio.output.voice, 'alloy');
    assert.equal(live.instructions, 'Answer like a ship captain.');
    assert.equal(live.audio.input.turn_detection.type, 'semantic_vad');
    assert.equal(live.audio.input.transcription, null, 'input transcription off');
    assert.deepEqual(live.output_modalities, ['text']);
    assert.ok(wire.sent.some((e) => e.type === 'session.update' && e.session.audio?.output?.voice === 'verse'), 'the page sent the voice it shows');
    // Manual turn detection: turn_detection null on the server, and the push-to-talk button comes alive.
    await page.select('#turn-detection', 'manual');
    await until(() => lastUpdated()?.audio?.input?.turn_detection === null, 'session.updated with turn_detection null');
    assert.equal(await page.$eval('#ptt', (b) => b.disabled), false, 'push-to-talk enabled in manual mode');
    // Back to the defaults the rest of this page expects.
    await page.select('#turn-detection', 'server_vad');
    await click(page, '#transcription');   // on
    await page.select('#modalities', 'audio');
    await until(() => lastUpdated()?.audio?.input?.turn_detection?.type === 'server_vad' && lastUpdated()?.output_modalities?.[0] === 'audio',
      'session.updated back on server_vad with audio');

    // A server that cannot be reached is the error state, with the reason in red in the conversation.
    await click(page, '#connect');   // disconnect
    await stateIs(page, 'idle');
    // Only from here on: every request of this page is intercepted, /v1/models refused and the others let through.
    page.on('request', (request) => {
      const { action } = request.interceptResolutionState();
      if (action === 'disabled' || action === 'already-handled') return;   // sent before interception was on
      if (request.url().endsWith('/v1/models')) request.abort('connectionrefused');
      else request.continue();
    });
    await page.setRequestInterception(true);
    await click(page, '#connect');
    await stateIs(page, 'error');
    assert.ok((await conversation(page)).some((i) => i.role === 'error' && i.text.length > 0), 'the error is shown');
    await shot(page, 'error');
  });
  await page.close();
}

function assertEphemeralSocket(wire) {
  assert.equal(wire.protocols.length, 1, 'one socket');
  assert.match(wire.protocols[0], /openai-insecure-api-key\.ek_/, 'the socket carries an ephemeral secret');
  assert.ok(!wire.protocols[0].includes(apiKey), 'the real key never goes on the socket');
}

/** Kiosk mode over wss://: autoconnect, the microphone, barge-in, and a reply heard in full. */
async function voiceOverWss(context) {
  const { page, wire } = await openConsole(context, `${httpsBase}/?autoconnect=1`);
  await explained(page, wire, async () => {
    // Keys configured: the page asks for one while connecting, mints an ek_ secret and connects with that.
    await page.waitForSelector('#auth-dialog[open]', { visible: true, timeout: WAIT });
    assert.equal(await bodyAttribute(page, 'data-state'), 'connecting');
    await shot(page, 'connecting-api-key');
    await enterKey(page);
    await seen(page, 'listening');
    await shot(page, 'listening');
    assertEphemeralSocket(wire);
    const update = wire.sent.find((e) => e.type === 'session.update');
    assert.equal(update?.session.audio.input.format.rate, 24000, 'session.update sent on connect');
    await seen(page, 'user-speaking');
    await shot(page, 'user-speaking');
    await page.waitForFunction(() => window.__states.includes('user-speaking') && document.body.dataset.state !== 'user-speaking', { timeout: WAIT });
    await click(page, '#mic');   // off until the barge-in below
    await seen(page, 'responding');
    await shot(page, 'responding');
    const appends = wire.sent.filter((e) => e.type === 'input_audio_buffer.append');
    const appendMs = Buffer.from(appends[0].audio, 'base64').length / 48;
    assert.ok(appendMs >= 20 && appendMs <= 40, `appends of 20-40 ms (got ${appendMs})`);

    // The question's answer: the user's words as heard, the echo reply holding them, its audio played in full.
    await page.waitForFunction(() => [...document.querySelectorAll('#transcript > div[data-role="assistant"]')]
      .some((el) => Number(el.dataset.audioMs) > 0 && el.dataset.playedMs === el.dataset.audioMs), { timeout: WAIT });
    const items = await conversation(page);
    const reply = items.find((i) => i.role === 'assistant' && i.audioMs > 0 && i.playedMs === i.audioMs);
    const user = items.slice(0, items.indexOf(reply)).reverse().find((i) => i.role === 'user');
    assert.ok(user && normalize(user.text).length > 0, "the user's transcript is shown");
    assert.ok(normalize(reply.text).includes(normalize(user.text)), `the reply echoes what was heard: "${user.text}" / "${reply.text}"`);
    const audioBytes = wire.received.filter((e) => e.type === 'response.output_audio.delta' && e.item_id === reply.id)
      .reduce((n, e) => n + Buffer.from(e.delta, 'base64').length, 0);
    assert.equal(reply.audioMs, Math.floor(audioBytes / 48), 'the page counts the audio it received');
    assert.ok(Number(await bodyAttribute(page, 'data-played-ms')) >= reply.playedMs, 'body data-played-ms grows');
    console.log(`heard "${user.text}"; reply "${reply.text}" played ${reply.playedMs} ms`);

    // Barge-in: a long reply (to a typed message, so it starts at once) plays when the question comes round again.
    // Playback stops at once and the truncate says exactly what was played.
    await fill(page, '#text-input', LONG_MESSAGE);
    await click(page, '#send-text');
    await page.waitForFunction(() => [...document.querySelectorAll('#transcript > div[data-role="assistant"]')]
      .some((el) => el.textContent.includes('quick brown fox') && Number(el.dataset.playedMs) > 0), { timeout: WAIT });
    await click(page, '#mic');   // on: the question comes round within one loop
    await page.waitForFunction(() => document.querySelector('#transcript > div[data-truncated-ms]'), { timeout: WAIT });
    const truncate = wire.sent.find((e) => e.type === 'conversation.item.truncate');
    assert.ok(truncate, 'conversation.item.truncate sent');
    const cut = (await conversation(page)).find((i) => i.id === truncate.item_id);
    assert.ok(cut.text.includes('quick brown fox'), 'the long reply was cut');
    assert.equal(truncate.content_index, 0);
    assert.equal(truncate.audio_end_ms, cut.playedMs, 'audio_end_ms is the played length the page shows');
    assert.ok(truncate.audio_end_ms > 0 && truncate.audio_end_ms < cut.audioMs, `cut inside the reply: ${truncate.audio_end_ms} of ${cut.audioMs} ms`);
    const truncated = wire.received.findIndex((e) => e.type === 'conversation.item.truncated' && e.item_id === truncate.item_id);
    assert.equal(wire.received[truncated]?.audio_end_ms, truncate.audio_end_ms, 'the server truncated the item at that length');
    assert.ok(wire.received.slice(0, truncated).some((e) => e.type === 'input_audio_buffer.speech_started'), 'after speech_started');
    await shot(page, 'barge-in');
    console.log(`barge-in: truncated at ${truncate.audio_end_ms} of ${cut.audioMs} ms`);

    // Playback stays stopped: the cut reply's played length does not move (its late deltas are dropped).
    await page.waitForFunction((n) => document.querySelectorAll('#transcript > div[data-role="user"]').length > n,
      { timeout: WAIT }, (await conversation(page)).filter((i) => i.role === 'user').length);
    // Mute only once that utterance has ended: muted mid-word, no more audio reaches the server's VAD, so the turn
    // would never end and the page would stay in user-speaking (a real user unmutes; the test leaves instead).
    await page.waitForFunction(() => document.body.dataset.state !== 'user-speaking', { timeout: WAIT });
    await click(page, '#mic');
    const after = await conversation(page);
    assert.equal(after.find((i) => i.id === cut.id).playedMs, truncate.audio_end_ms, 'nothing of the cut reply played after it');

    // Latency measured in the page, with the server's /metrics figures beside them.
    await page.waitForFunction(() => /mean of [1-9]/.test(document.querySelector('#server-latency').textContent), { timeout: WAIT });
    const latency = await page.$$eval('#latency tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
    assert.ok(latency.some((r) => /^\d+/.test(r[1]) && /^\d+/.test(r[3])), `latency rows: ${JSON.stringify(latency)}`);
    console.log('latency (page / server ms):', JSON.stringify(latency));
    await shot(page, 'conversation');
    fs.copyFileSync(path.join(shots, 'conversation.png'), path.join(shots, 'console.png'));

    const states = await page.evaluate(() => window.__states);
    const order = ['connecting', 'listening', 'user-speaking', 'responding'];
    const firsts = order.map((state) => states.indexOf(state));
    assert.ok(firsts.every((at, i) => at >= 0 && (i === 0 || at > firsts[i - 1])), `states in order: ${states.join(' ')}`);

    // Leave quietly: the last utterance transcribed and answered, then a normal close (the test then stops the server).
    await page.waitForFunction(() => document.body.dataset.state === 'listening' && !document.querySelector('#transcript > div.partial'), { timeout: WAIT });
    await click(page, '#connect');
    await stateIs(page, 'idle');
  });
  await page.close();
}

main(async () => {
  assert.ok(httpBase && httpsBase && apiKey && audioDir && shots, 'REALTIME_HTTP, REALTIME_HTTPS, REALTIME_API_KEY, CONSOLE_AUDIO, CONSOLE_SCREENSHOTS');
  assert.ok(fs.existsSync(executablePath), `${executablePath} is missing: scripts/setup.sh installs Debian's chromium`);
  fs.mkdirSync(shots, { recursive: true });
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'realtime-console-'));
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    acceptInsecureCerts: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--disable-quic', '--ignore-certificate-errors',
      '--autoplay-policy=no-user-gesture-required',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${microphoneWav(temp)}`,
    ],
  });
  try {
    const context = await browser.createBrowserContext();
    await textOverHttp(context);
    await voiceOverWss(context);
    await context.close();
  } finally {
    await browser.close();
    fs.rmSync(temp, { recursive: true, force: true });
  }
}, 150000);   // two browser pages on a loaded machine can take longer than lib.mjs's default
