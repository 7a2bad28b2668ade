#!/usr/bin/env node
// Browser-free voice client: streams a WAV file (PCM16 mono 24 kHz) to the server paced at real time
// in 20 ms chunks, with server VAD, and prints what comes back: turn events, the transcript of what
// was heard, the assistant's text and how much audio it spoke, with per-stage timings.
// Usage: node scripts/talk.mjs [file.wav] [ws://127.0.0.1:8080/v1/realtime] [--fast] [--json]
// Needs the `ws` package: run scripts/setup.sh first (it installs tests/node/node_modules).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'tests', 'node', 'package.json'));
const WebSocket = require('ws');

const args = process.argv.slice(2).filter(a => !a.startsWith('--'));
const fast = process.argv.includes('--fast');
const asJson = process.argv.includes('--json');
const file = args[0] ?? join(here, '..', '..', 'shared', 'audio', 'weather_question.wav');
const url = args[1] ?? 'ws://127.0.0.1:8080/v1/realtime?model=gpt-realtime';
const key = process.env.REALTIME_API_KEY ?? 'sk-local';

const wav = readFileSync(file);
const pcm = wavData(wav);
const chunkBytes = 24000 * 2 / 50; // 20 ms of 24 kHz PCM16
const result = { speech_started: null, speech_stopped: null, transcript: '', text: '', audio_bytes: 0, timings: {}, errors: [] };
let speechEndWall = 0;

const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${key}` }, rejectUnauthorized: false });
const finished = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('no response within 30 s')), 30000 + pcm.length / 48);
  ws.on('message', data => {
    const e = JSON.parse(data.toString());
    const now = performance.now();
    switch (e.type) {
      case 'session.created':
        ws.send(JSON.stringify({ type: 'session.update', session: { type: 'realtime',
          audio: { input: { transcription: { model: 'whisper-1' } } } } }));
        break;
      case 'session.updated':
        if (!result.session) { result.session = e.session.model; stream(); }
        break;
      case 'input_audio_buffer.speech_started': result.speech_started = e.audio_start_ms; log(`speech_started at ${e.audio_start_ms} ms`); break;
      case 'input_audio_buffer.speech_stopped': result.speech_stopped = e.audio_end_ms; speechEndWall = now; log(`speech_stopped at ${e.audio_end_ms} ms`); break;
      case 'conversation.item.input_audio_transcription.delta': log(`transcript delta: ${e.delta}`); break;
      case 'conversation.item.input_audio_transcription.completed':
        result.transcript = e.transcript; mark('transcript_ms', now); log(`heard: "${e.transcript}"`); break;
      case 'response.output_text.delta': case 'response.output_audio_transcript.delta':
        if (!result.text) mark('first_text_ms', now); result.text += e.delta; break;
      case 'response.output_audio.delta':
        if (!result.audio_bytes) mark('first_audio_ms', now); result.audio_bytes += Buffer.from(e.delta, 'base64').length; break;
      case 'response.done':
        log(`response ${e.response.status}: "${result.text}" with ${(result.audio_bytes / 48).toFixed(0)} ms of audio`);
        clearTimeout(timer); resolve(); break;
      case 'error': result.errors.push(e.error); log(`error: ${e.error.code}: ${e.error.message}`); break;
    }
  });
  ws.on('error', reject);
  ws.on('close', (code, reason) => { clearTimeout(timer); reject(new Error(`closed ${code} ${reason}`)); });
});

function mark(name, now) { if (speechEndWall && result.timings[name] === undefined) result.timings[name] = +(now - speechEndWall).toFixed(1); }
function log(line) { if (!asJson) console.log(line); }

async function stream() {
  const start = performance.now();
  for (let off = 0, n = 0; off < pcm.length; off += chunkBytes, n++) {
    ws.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: pcm.subarray(off, off + chunkBytes).toString('base64') }));
    if (!fast) {
      const due = start + (n + 1) * 20 - performance.now();
      if (due > 0) await new Promise(r => setTimeout(r, due));
    }
  }
}

function wavData(buf) {
  if (buf.toString('ascii', 0, 4) !== 'RIFF') return buf;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4), size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ' && buf.readUInt32LE(off + 12) !== 24000) throw new Error('expected a 24 kHz PCM16 WAV');
    if (id === 'data') return buf.subarray(off + 8, off + 8 + size);
    off += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}

finished.then(() => {
  if (asJson) console.log(JSON.stringify(result));
  else console.log(`timings after speech_stopped: ${JSON.stringify(result.timings)}`);
  ws.close(1000, 'OK');
  process.exit(0);
}, err => { console.error(err.message); if (asJson) console.log(JSON.stringify(result)); process.exit(1); });
