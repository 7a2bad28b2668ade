// Realtime.Fast browser console: one WebSocket to /v1/realtime (GA dialect), microphone capture and playback in
// AudioWorklets, the conversation as it happens, per-turn latency and an event log.
//
// Automation contract (kiosk mode and tests rely on it):
//   /?autoconnect=1          connect and start the microphone on load
//   <body data-state>        idle | connecting | listening | user-speaking | responding | error
//   #transcript              one child per item, data-role="user" | "assistant" (also "tool", "error"), its text as textContent
//   <body data-played-ms>    assistant audio played so far (ms); each assistant child also has data-played-ms / data-audio-ms

const RATE = 24000;                 // PCM16 rate on the wire, both ways
const SAMPLES_PER_MS = RATE / 1000;
const LOG_LIMIT = 1500;
const KEY_STORAGE = 'realtime-fast.api-key';
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

// ---- state ---------------------------------------------------------------------------------------------------

const conn = {
  ws: null, ready: false, failed: null, closing: false,
  userSpeaking: false, responseActive: false, pttHeld: false,
  audioProduced: false,
};
const items = new Map();            // item_id -> { el, role, text, audioSamples, playedSamples, cut }
const audio = { capture: null, playback: null, micStream: null, micOn: false, playingItem: null, flushRequests: new Map(), nextRequest: 1 };
let playedTotalMs = 0;              // items fully played or cut, plus the one playing
let playedCurrentMs = 0;
const turns = [];                   // per-turn latency rows
let currentTurn = null;
let lastMetrics = null;             // previous /metrics scrape: { stage: { sum, count } }
const counts = { in: 0, out: 0, appends: 0, audioDeltas: 0 };

function computeState() {
  if (!conn.ws) return conn.failed ? 'error' : 'idle';
  if (!conn.ready) return 'connecting';
  if (conn.userSpeaking || conn.pttHeld) return 'user-speaking';
  if (conn.responseActive || audio.playingItem) return 'responding';
  return 'listening';
}

function refreshState() {
  const state = computeState();
  if (document.body.dataset.state !== state) document.body.dataset.state = state;
  $('state-pill').textContent = state;
  $('connect').textContent = conn.ws ? 'Disconnect' : 'Connect';
  $('mic').disabled = !conn.ready;
  $('mic').textContent = audio.micOn ? 'Mic on' : 'Mic off';
  $('mic').classList.toggle('on', audio.micOn);
  $('ptt').disabled = !(conn.ready && $('turn-detection').value === 'manual');
  $('send-text').disabled = !conn.ready;
  // The server refuses a new voice once the assistant has spoken in this conversation (as OpenAI does).
  $('voice').disabled = conn.audioProduced;
  $('voice').title = conn.audioProduced ? 'The voice is fixed once the assistant has spoken; reconnect to change it.' : '';
}

function setPlayedMs() {
  document.body.dataset.playedMs = String(Math.floor(playedTotalMs + playedCurrentMs));
}

// ---- auth: a real key is only used to mint an ephemeral secret -------------------------------------------------

async function fetchModels() {
  const key = sessionStorage.getItem(KEY_STORAGE);
  const response = await fetch('/v1/models', { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  if (response.status === 401) return { needsKey: true, rejectedKey: !!key };
  if (!response.ok) throw new Error(`GET /v1/models: HTTP ${response.status}`);
  return { needsKey: false, models: (await response.json()).data, usesKey: !!key };
}

function askForKey(message) {
  const dialog = $('auth-dialog');
  $('auth-error').textContent = message ?? '';
  $('auth-key').value = '';
  return new Promise((resolve) => {
    $('auth-form').onsubmit = (e) => {
      e.preventDefault();
      sessionStorage.setItem(KEY_STORAGE, $('auth-key').value.trim());
      dialog.close();
      resolve();
    };
    if (!dialog.open) dialog.showModal();
  });
}

/** The model list, asking for a key until the server accepts one (or none is needed). */
async function loadModels() {
  for (;;) {
    const result = await fetchModels();
    if (!result.needsKey) {
      const select = $('model');
      const chosen = params.get('model') ?? select.value;
      select.replaceChildren(...result.models.map((m) => {
        const option = document.createElement('option');
        option.value = m.id;
        option.textContent = m.id + (m.aliases?.length ? ` (${m.aliases.join(', ')})` : '') + (m.default ? ' - default' : '');
        return option;
      }));
      if (chosen && result.models.some((m) => m.id === chosen)) select.value = chosen;
      $('forget-key').hidden = !result.usesKey;
      return result.usesKey;
    }
    if (result.rejectedKey) sessionStorage.removeItem(KEY_STORAGE);
    await askForKey(result.rejectedKey ? 'That key was not accepted.' : '');
  }
}

async function mintClientSecret() {
  const key = sessionStorage.getItem(KEY_STORAGE);
  const response = await fetch('/v1/realtime/client_secrets', {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ expires_after: { anchor: 'created_at', seconds: 600 }, session: { type: 'realtime', model: $('model').value } }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`client_secrets: ${body.error?.message ?? response.status}`);
  logEvent('in', { type: 'client_secret.minted', value: body.value.slice(0, 6) + '…', expires_at: body.expires_at });
  return body.value;
}

// ---- connection ------------------------------------------------------------------------------------------------

async function connect() {
  if (conn.ws) return;
  conn.failed = null;
  conn.ready = false;
  conn.audioProduced = false;
  conn.ws = 'pending';
  refreshState();
  try {
    const usesKey = await loadModels();
    // Playback is ready before the first delta can arrive (text turns play audio too, without the microphone).
    await ensurePlayback().catch((err) => addNote('error', 'playback: ' + err.message));
    const protocols = ['realtime'];
    if (usesKey) protocols.push('openai-insecure-api-key.' + await mintClientSecret());
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/v1/realtime?model=${encodeURIComponent($('model').value)}`, protocols);
    conn.ws = ws;
    ws.onmessage = (e) => onServerEvent(JSON.parse(e.data));
    ws.onclose = (e) => onClosed(e);
    ws.onerror = () => { conn.failed = 'socket error'; };
  } catch (err) {
    conn.ws = null;
    fail(err.message ?? String(err));
  }
  refreshState();
}

function disconnect() {
  conn.closing = true;
  if (conn.ws instanceof WebSocket) conn.ws.close(1000, 'bye');
}

function onClosed(e) {
  const expected = conn.closing || e.code === 1000;
  conn.ws = null;
  conn.ready = false;
  conn.closing = false;
  conn.userSpeaking = false;
  conn.responseActive = false;
  stopPlayback();
  logEvent('in', { type: 'socket.closed', code: e.code, reason: e.reason });
  if (!expected) fail(`connection closed: ${e.code} ${e.reason}`);
  refreshState();
  if (conn.reconnect) {
    conn.reconnect = false;
    connect();
  }
}

function fail(message) {
  conn.failed = message;
  addNote('error', message);
  refreshState();
}

function send(event) {
  if (!(conn.ws instanceof WebSocket) || conn.ws.readyState !== WebSocket.OPEN) return false;
  conn.ws.send(JSON.stringify(event));
  if (event.type === 'input_audio_buffer.append') {
    counts.appends++;
    if ($('log-audio').checked) logEvent('out', event);
  } else {
    logEvent('out', event);
  }
  counts.out++;
  return true;
}

// ---- session configuration (all live, via session.update) ------------------------------------------------------

const TOOL = {
  type: 'function',
  name: 'get_local_time',
  description: "Returns the local date, time and time zone of the user's browser.",
  parameters: { type: 'object', properties: {} },
};

function turnDetection() {
  const mode = $('turn-detection').value;
  if (mode === 'manual') return null;
  const common = { create_response: $('vad-create-response').checked, interrupt_response: $('vad-interrupt-response').checked };
  if (mode === 'semantic_vad') return { type: 'semantic_vad', eagerness: $('vad-eagerness').value, ...common };
  return {
    type: 'server_vad',
    threshold: Number($('vad-threshold').value),
    prefix_padding_ms: Number($('vad-prefix').value),
    silence_duration_ms: Number($('vad-silence').value),
    ...common,
  };
}

function sessionConfig() {
  const output = { format: { type: 'audio/pcm', rate: RATE } };
  // The voice is fixed once the assistant has spoken; only send it before that (the server would refuse a change).
  // A change after that is sent, so the server's refusal shows up as an error.
  if (!conn.audioProduced || $('voice').value !== conn.sentVoice) output.voice = conn.sentVoice = $('voice').value;
  return {
    type: 'realtime',
    instructions: $('instructions').value,
    output_modalities: [$('modalities').value],
    audio: {
      input: {
        format: { type: 'audio/pcm', rate: RATE },
        transcription: $('transcription').checked ? { model: 'gpt-4o-mini-transcribe' } : null,
        turn_detection: turnDetection(),
      },
      output,
    },
    tools: $('tool-enabled').checked ? [TOOL] : [],
    tool_choice: 'auto',
  };
}

function applySettings() {
  const mode = $('turn-detection').value;
  $('server-vad-params').hidden = mode !== 'server_vad';
  $('semantic-vad-params').hidden = mode !== 'semantic_vad';
  $('vad-common-params').hidden = mode === 'manual';
  if (conn.ready) send({ type: 'session.update', session: sessionConfig() });
  refreshState();
}

// ---- server events ---------------------------------------------------------------------------------------------

function onServerEvent(e) {
  counts.in++;
  const isAudio = e.type === 'response.output_audio.delta';
  if (isAudio) counts.audioDeltas++;
  if (!isAudio || $('log-audio').checked) logEvent('in', e);
  switch (e.type) {
    case 'session.created':
      conn.ready = true;
      $('session-info').textContent = `${e.session.id} · ${e.session.model}`;
      send({ type: 'session.update', session: sessionConfig() });
      scrapeMetrics(null);                          // the baseline the first turn's server figures are taken from
      if (params.get('autoconnect') === '1' || audio.micOn) startMic().catch((err) => fail('microphone: ' + err.message));
      break;
    case 'input_audio_buffer.speech_started':
      conn.userSpeaking = true;
      bargeIn();
      currentTurn = { speechStartedAt: performance.now() };
      break;
    case 'input_audio_buffer.speech_stopped':
      conn.userSpeaking = false;
      beginTurn();
      break;
    case 'input_audio_buffer.committed':
      ensureItem(e.item_id, 'user').el.classList.add('partial');
      if (!currentTurn?.stoppedAt) beginTurn();    // manual commit: no speech_stopped
      break;
    case 'conversation.item.added':
    case 'conversation.item.done':
      onItem(e.item);
      break;
    case 'conversation.item.input_audio_transcription.delta': {
      const item = ensureItem(e.item_id, 'user');
      setText(item, item.text + e.delta);
      break;
    }
    case 'conversation.item.input_audio_transcription.completed': {
      const item = ensureItem(e.item_id, 'user');
      setText(item, e.transcript);
      item.el.classList.remove('partial');
      mark('transcript');
      break;
    }
    case 'conversation.item.input_audio_transcription.failed':
      addNote('error', `transcription failed: ${e.error?.message ?? ''}`);
      break;
    case 'response.created':
      conn.responseActive = true;
      if (currentTurn?.stoppedAt && !currentTurn.responseId) currentTurn.responseId = e.response.id;
      break;
    case 'response.output_item.added':
      onItem(e.item);
      break;
    case 'response.output_text.delta':
    case 'response.output_audio_transcript.delta': {
      const item = ensureItem(e.item_id, 'assistant');
      setText(item, item.text + e.delta);
      mark('text');
      break;
    }
    case 'response.output_audio.delta':
      onAudioDelta(e);
      break;
    case 'response.output_audio.done':
      if (items.get(e.item_id)?.audioSamples) audio.playback?.port.postMessage({ type: 'end', id: e.item_id });
      break;
    case 'response.function_call_arguments.delta': {
      const item = ensureItem(e.item_id, 'tool');
      item.args = (item.args ?? '') + e.delta;
      renderTool(item);
      break;
    }
    case 'response.done':
      conn.responseActive = false;
      onResponseDone(e.response);
      break;
    case 'conversation.item.truncated': {
      const item = items.get(e.item_id);
      if (item) item.el.dataset.truncatedMs = String(e.audio_end_ms);
      break;
    }
    case 'error':
      addNote('error', `${e.error?.code ?? 'error'}: ${e.error?.message ?? ''}`);
      break;
    default:
      break;
  }
  refreshState();
}

function onItem(item) {
  if (!item?.id) return;
  if (item.type === 'message') {
    const entry = ensureItem(item.id, item.role === 'user' ? 'user' : 'assistant');
    const parts = item.content ?? [];
    const text = parts.map((p) => p.text ?? p.transcript ?? '').join('');
    if (text && !entry.text) setText(entry, text);
  } else if (item.type === 'function_call') {
    const entry = ensureItem(item.id, 'tool');
    entry.name = item.name;
    entry.callId = item.call_id;
    if (item.arguments) entry.args = item.arguments;
    renderTool(entry);
  } else if (item.type === 'function_call_output') {
    const call = [...items.values()].find((i) => i.callId === item.call_id);
    if (call) { call.output = item.output; renderTool(call); }
  }
}

function onResponseDone(response) {
  if (response.status === 'failed') addNote('error', `response failed: ${response.status_details?.error?.code ?? ''} ${response.status_details?.error?.message ?? ''}`);
  for (const out of response.output ?? []) {
    if (out.type === 'function_call' && out.name === TOOL.name && out.status !== 'incomplete') runTool(out);
  }
  finishTurn(response.id);
}

// ---- the demo tool, implemented here ---------------------------------------------------------------------------

function runTool(call) {
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const output = { local_time: new Date().toLocaleString('en-US', { weekday: 'long', hour: 'numeric', minute: '2-digit' }), timezone };
  const entry = ensureItem(call.id, 'tool');
  entry.name = call.name;
  entry.callId = call.call_id;
  entry.args = call.arguments;
  entry.output = JSON.stringify(output);
  renderTool(entry);
  send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: entry.output } });
  send({ type: 'response.create' });
}

// ---- conversation view -----------------------------------------------------------------------------------------

function ensureItem(id, role) {
  let item = items.get(id);
  if (!item) {
    const el = document.createElement('div');
    el.dataset.role = role;
    el.dataset.itemId = id;
    el.dataset.label = { user: 'You', assistant: 'Assistant', tool: 'Tool call' }[role] ?? role;
    if (role === 'assistant') { el.dataset.playedMs = '0'; el.dataset.audioMs = '0'; }
    item = { id, el, role, text: '', audioSamples: 0, playedSamples: 0, cut: false };
    items.set(id, item);
    appendToTranscript(el);
  }
  return item;
}

function appendToTranscript(el) {
  const box = $('transcript');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.append(el);
  if (atBottom) box.scrollTop = box.scrollHeight;
}

function setText(item, text) {
  item.text = text;
  item.el.textContent = text;
}

function renderTool(item) {
  item.el.textContent = `${item.name ?? 'function'}(${item.args ?? ''})` + (item.output ? `\n→ ${item.output}` : '');
}

function addNote(role, text) {
  const el = document.createElement('div');
  el.dataset.role = role;
  el.dataset.label = role === 'error' ? 'Error' : role;
  el.textContent = text;
  appendToTranscript(el);
}

function updateAudioMeta(item) {
  const played = Math.floor(item.playedSamples / SAMPLES_PER_MS);   // as the truncate reports it: never more than heard
  const total = Math.floor(item.audioSamples / SAMPLES_PER_MS);
  item.el.dataset.playedMs = String(played);
  item.el.dataset.audioMs = String(total);
  item.el.dataset.meta = `audio ${(total / 1000).toFixed(2)} s · played ${(played / 1000).toFixed(2)} s` + (item.cut ? ' · interrupted' : '');
}

// ---- audio -----------------------------------------------------------------------------------------------------

async function ensurePlayback() {
  if (audio.playback) return;
  requireSecureContext();
  const ctx = new AudioContext({ sampleRate: RATE, latencyHint: 'interactive' });
  await ctx.audioWorklet.addModule('/console/playback-worklet.js');
  const node = new AudioWorkletNode(ctx, 'pcm-playback', { numberOfInputs: 0, outputChannelCount: [1], processorOptions: { prebufferMs: 80 } });
  node.connect(ctx.destination);
  node.port.onmessage = (e) => onPlaybackMessage(e.data);
  audio.playback = node;
  audio.playbackCtx = ctx;
  resumeAudio();
}

function requireSecureContext() {
  if (!window.isSecureContext || !navigator.mediaDevices || !window.AudioWorkletNode) {
    throw new Error('audio needs a secure page: open it over https:// or on localhost / 127.0.0.1');
  }
}

/**
 * Browsers may keep audio suspended until the user interacts (autoplay policy). Resume now if allowed,
 * otherwise on the first click; a kiosk browser passes its autoplay flag and never needs the click.
 */
function resumeAudio() {
  const suspended = [audio.playbackCtx, audio.captureCtx].filter((c) => c && c.state !== 'running');
  for (const ctx of suspended) ctx.resume().catch(() => {});
  if (suspended.length === 0 || audio.resumeHintShown) return;
  setTimeout(() => {
    if (![audio.playbackCtx, audio.captureCtx].some((c) => c && c.state !== 'running')) return;
    audio.resumeHintShown = true;
    addNote('info', 'The browser holds audio until you click: click anywhere to start the microphone and playback.');
    document.addEventListener('pointerdown', () => { audio.resumeHintShown = false; resumeAudio(); }, { once: true });
  }, 500);
}

function onAudioDelta(e) {
  const item = ensureItem(e.item_id, 'assistant');
  if (item.cut) return;                            // interrupted: late deltas of it are not played
  conn.audioProduced = true;
  const bytes = Uint8Array.from(atob(e.delta), (c) => c.charCodeAt(0));
  item.audioSamples += bytes.length / 2;
  updateAudioMeta(item);
  mark('audio');
  if (!audio.playback) return;
  audio.playback.port.postMessage({ type: 'push', id: e.item_id, pcm: bytes.buffer }, [bytes.buffer]);
  if (!audio.playingItem) audio.playingItem = e.item_id;
}

function onPlaybackMessage(m) {
  if (m.type === 'progress') {
    setLevel('out-level', m.rms);
    if (m.id && items.has(m.id) && !items.get(m.id).cut) {
      const item = items.get(m.id);
      item.playedSamples = m.played;
      updateAudioMeta(item);
      playedCurrentMs = m.played / SAMPLES_PER_MS;
      setPlayedMs();
    }
  } else if (m.type === 'started') {
    audio.playingItem = m.id;
    playedCurrentMs = 0;
    mark('heard');
  } else if (m.type === 'done') {
    const item = items.get(m.id);
    if (item?.cut) return;                          // a barge-in raced the end of the item; bargeIn() counts it
    if (item) { item.playedSamples = m.played; updateAudioMeta(item); }
    playedTotalMs += m.played / SAMPLES_PER_MS;
    playedCurrentMs = 0;
    audio.playingItem = null;
    setPlayedMs();
    refreshState();
  } else if (m.type === 'flushed') {
    const resolve = audio.flushRequests.get(m.requestId);
    audio.flushRequests.delete(m.requestId);
    resolve?.(m);
  }
}

/** Stops playback at once; resolves with the item that was playing and how many of its samples were heard. */
function flushPlayback() {
  if (!audio.playback) return Promise.resolve({ id: null, played: 0 });
  const requestId = audio.nextRequest++;
  return new Promise((resolve) => {
    audio.flushRequests.set(requestId, resolve);
    audio.playback.port.postMessage({ type: 'flush', requestId });
  });
}

function stopPlayback() {
  if (audio.playingItem) flushPlayback();
  audio.playingItem = null;
}

/** The user spoke over the assistant: stop playing and tell the server how much was actually heard. */
async function bargeIn() {
  const id = audio.playingItem;
  if (!id) return;
  const item = items.get(id);
  item.cut = true;                                  // before the flush: deltas still arriving are dropped
  const flushed = await flushPlayback();
  const played = flushed.id === id ? flushed.played : item.playedSamples;
  item.playedSamples = played;
  updateAudioMeta(item);
  playedTotalMs += played / SAMPLES_PER_MS;
  playedCurrentMs = 0;
  audio.playingItem = null;
  setPlayedMs();
  // The exact samples played, in whole ms (rounded down: never claim the user heard more than they did).
  send({ type: 'conversation.item.truncate', item_id: id, content_index: 0, audio_end_ms: Math.floor(played / SAMPLES_PER_MS) });
  if (currentTurn) currentTurn.bargeIn = true;
  refreshState();
}

async function startMic() {
  if (audio.micOn) return;
  await ensurePlayback();
  if (!audio.capture) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
    const ctx = new AudioContext({ latencyHint: 'interactive' });
    await ctx.audioWorklet.addModule('/console/capture-worklet.js');
    const node = new AudioWorkletNode(ctx, 'pcm-capture', { numberOfOutputs: 1, outputChannelCount: [1], processorOptions: { targetRate: RATE, chunkMs: 20 } });
    const mute = new GainNode(ctx, { gain: 0 });   // keeps the node pulled by the graph without playing the mic
    ctx.createMediaStreamSource(stream).connect(node).connect(mute).connect(ctx.destination);
    node.port.onmessage = (e) => onCaptureChunk(e.data);
    audio.capture = node;
    audio.captureCtx = ctx;
    audio.micStream = stream;
  }
  audio.micOn = true;
  resumeAudio();
  refreshState();
}

function stopMic() {
  audio.micOn = false;
  setLevel('mic-level', 0);
  refreshState();
}

function onCaptureChunk(m) {
  setLevel('mic-level', m.rms);
  if (!audio.micOn || !conn.ready) return;
  if ($('turn-detection').value === 'manual' && !conn.pttHeld) return;
  send({ type: 'input_audio_buffer.append', audio: base64(new Uint8Array(m.pcm)) });
}

/** A level meter on a dBFS scale (-60..0), which is how a voice engineer reads levels. */
function setLevel(id, rms) {
  const db = rms > 0 ? 20 * Math.log10(rms) : -Infinity;
  const fill = Math.max(0, Math.min(1, (db + 60) / 60));
  const bar = $(id);
  bar.style.transform = `scaleX(${fill.toFixed(3)})`;
  bar.style.background = db > -3 ? '#ff5c5c' : db > -12 ? '#e0c341' : '#3ec46d';
  bar.parentElement.title = Number.isFinite(db) ? `${db.toFixed(1)} dBFS` : 'silence';
}

function base64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x2000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x2000));
  return btoa(binary);
}

// ---- push to talk (manual turn detection) ----------------------------------------------------------------------

function pttDown() {
  if (conn.pttHeld || $('turn-detection').value !== 'manual') return;
  conn.pttHeld = true;
  $('ptt').classList.add('on');
  bargeIn();
  if (conn.responseActive) send({ type: 'response.cancel' });
  send({ type: 'input_audio_buffer.clear' });
  currentTurn = { speechStartedAt: performance.now() };
  if (!audio.micOn) startMic().catch((err) => fail('microphone: ' + err.message));
  refreshState();
}

function pttUp() {
  if (!conn.pttHeld) return;
  conn.pttHeld = false;
  $('ptt').classList.remove('on');
  send({ type: 'input_audio_buffer.commit' });
  send({ type: 'response.create' });
  refreshState();
}

// ---- latency: measured here, and the server's /metrics for the same stages --------------------------------------

const STAGES = { transcript: 'speech_end_to_transcript', text: 'speech_end_to_first_text', audio: 'speech_end_to_first_audio' };

function beginTurn() {
  currentTurn = { ...(currentTurn ?? {}), stoppedAt: performance.now(), n: turns.length + 1 };
  turns.push(currentTurn);
  renderLatency();
}

function mark(what) {
  const turn = currentTurn;
  if (!turn?.stoppedAt) return;
  const key = what + 'Ms';
  if (turn[key] === undefined) {
    turn[key] = performance.now() - turn.stoppedAt;
    renderLatency();
  }
}

/** A turn ends with its own response; a cancelled one may end after the next turn began (barge-in). */
function finishTurn(responseId) {
  const turn = turns.find((t) => t.responseId === responseId);
  if (turn) scrapeMetrics(turn);
  if (currentTurn && currentTurn === turn) currentTurn = null;
}

function renderLatency() {
  const cell = (v) => (v === undefined ? '–' : Math.round(v).toString());
  const rows = turns.slice(-12).map((t) => {
    const tr = document.createElement('tr');
    const server = t.server ? (k) => (t.server[k] === undefined ? '' : ` / ${Math.round(t.server[k])}`) : () => '';
    for (const [value, extra] of [[`#${t.n}${t.bargeIn ? ' ✂' : ''}`, ''], [cell(t.transcriptMs), server('transcript')], [cell(t.textMs), server('text')], [cell(t.audioMs), server('audio')], [cell(t.heardMs), '']]) {
      const td = document.createElement('td');
      td.textContent = value;
      if (extra) { const s = document.createElement('small'); s.textContent = extra; td.append(s); }
      tr.append(td);
    }
    return tr;
  });
  $('latency').tBodies[0].replaceChildren(...rows);
}

function parseMetrics(text) {
  const stages = {};
  for (const line of text.split('\n')) {
    const m = /^realtime_stage_latency_seconds_(sum|count)\{[^}]*stage="([a-z_]+)"[^}]*\}\s+([0-9.eE+-]+)/.exec(line);
    if (!m) continue;
    stages[m[2]] ??= { sum: 0, count: 0 };
    stages[m[2]][m[1]] += Number(m[3]);
  }
  return stages;
}

/** The server's figures for this turn: the change of each stage's sum/count since the previous scrape. */
async function scrapeMetrics(turn) {
  try {
    const response = await fetch('/metrics');
    if (!response.ok) return;
    const now = parseMetrics(await response.text());
    if (turn && lastMetrics) {
      turn.server = {};
      for (const [key, stage] of Object.entries(STAGES)) {
        const a = now[stage], b = lastMetrics[stage] ?? { sum: 0, count: 0 };
        if (a && a.count > b.count) turn.server[key] = ((a.sum - b.sum) / (a.count - b.count)) * 1000;
      }
    }
    lastMetrics = now;
    const summary = Object.entries(STAGES).map(([key, stage]) => now[stage]?.count ? `${key} ${Math.round(now[stage].sum / now[stage].count * 1000)} ms` : null).filter(Boolean);
    $('server-latency').textContent = summary.length
      ? `Server (/metrics, mean of ${now[STAGES.transcript]?.count ?? 0} turns on this server): ${summary.join(' · ')}. Per turn: page / server.`
      : 'Server (/metrics): no turn recorded yet.';
    renderLatency();
  } catch { /* metrics are an extra; the page works without them */ }
}

// ---- event log -------------------------------------------------------------------------------------------------

function logEvent(dir, event) {
  const list = $('event-log');
  const li = document.createElement('li');
  li.dataset.dir = dir;
  li.dataset.type = event.type;
  const details = document.createElement('details');
  const summary = document.createElement('summary');
  const time = new Date().toISOString().slice(11, 23);
  summary.textContent = `${time} ${event.type}${event.item_id ? ' ' + event.item_id : ''}${event.type === 'error' ? ' ' + (event.error?.message ?? '') : ''}`;
  const pre = document.createElement('pre');
  pre.textContent = JSON.stringify(event, (k, v) => ((k === 'audio' || k === 'delta') && typeof v === 'string' && v.length > 80 ? `${v.slice(0, 40)}… (${v.length} chars)` : v), 2);
  details.append(summary, pre);
  li.append(details);
  li.hidden = !matchesFilter(li);
  list.prepend(li);
  while (list.childElementCount > LOG_LIMIT) list.lastElementChild.remove();
  $('event-counts').textContent = `in ${counts.in} · out ${counts.out} · appends ${counts.appends} · audio deltas ${counts.audioDeltas}`;
}

function matchesFilter(li) {
  const filter = $('log-filter').value.trim().toLowerCase();
  return !filter || li.dataset.type.toLowerCase().includes(filter);
}

// ---- wiring ----------------------------------------------------------------------------------------------------

function wire() {
  $('connect').onclick = () => (conn.ws ? disconnect() : connect());
  $('mic').onclick = () => (audio.micOn ? stopMic() : startMic().catch((err) => fail('microphone: ' + err.message)));
  $('ptt').onpointerdown = pttDown;
  $('ptt').onpointerup = pttUp;
  $('ptt').onpointerleave = pttUp;
  window.addEventListener('keydown', (e) => { if (e.code === 'Space' && e.target === document.body) { e.preventDefault(); pttDown(); } });
  window.addEventListener('keyup', (e) => { if (e.code === 'Space' && e.target === document.body) pttUp(); });
  for (const id of ['voice', 'instructions', 'turn-detection', 'vad-threshold', 'vad-prefix', 'vad-silence', 'vad-eagerness', 'vad-create-response', 'vad-interrupt-response', 'transcription', 'modalities', 'tool-enabled']) {
    $(id).addEventListener('change', applySettings);
  }
  $('model').addEventListener('change', () => {
    if (!(conn.ws instanceof WebSocket)) return;
    conn.reconnect = true;                          // onClosed connects again, with the new profile
    disconnect();
  });
  $('text-form').onsubmit = (e) => {
    e.preventDefault();
    const text = $('text-input').value.trim();
    if (!text || !conn.ready) return;
    $('text-input').value = '';
    send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
    send({ type: 'response.create' });
  };
  $('log-filter').oninput = () => { for (const li of $('event-log').children) li.hidden = !matchesFilter(li); };
  $('log-clear').onclick = () => $('event-log').replaceChildren();
  $('forget-key').onclick = () => { sessionStorage.removeItem(KEY_STORAGE); $('forget-key').hidden = true; disconnect(); };
  applySettings();
}

wire();
if (params.get('autoconnect') === '1') connect();
else loadModels().catch((err) => fail(err.message));
