// Assistant audio playback at 24 kHz (the AudioContext runs at 24 kHz; the browser resamples to the device).
// A small jitter buffer: an item starts playing once `prebufferMs` of it is queued (or its last delta came),
// and after an underrun it waits for the prebuffer again instead of crackling. It counts the samples it has
// really played per item, which is what a barge-in truncate must report.

class PcmPlayback extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions ?? {};
    this.prebuffer = Math.round(sampleRate * (o.prebufferMs ?? 80) / 1000);
    this.queue = [];            // { id, samples: Float32Array, offset }
    this.buffered = 0;          // samples queued and not yet played
    this.ended = new Set();     // items whose last delta has arrived
    this.current = null;        // item being played
    this.played = 0;            // samples of `current` played
    this.primed = false;
    this.underruns = 0;
    this.sinceReport = 0;
    this.sumSquares = 0;
    this.port.onmessage = (e) => this.onMessage(e.data);
  }

  onMessage(m) {
    if (m.type === 'push') {
      const pcm = new Int16Array(m.pcm);
      const samples = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 0x8000;
      this.queue.push({ id: m.id, samples, offset: 0 });
      this.buffered += samples.length;
    } else if (m.type === 'end') {
      this.ended.add(m.id);
    } else if (m.type === 'flush') {
      // Barge-in: stop now and say exactly how much of the item was heard.
      // If the item ended in this very quantum, report it: the page may not have seen its 'done' yet.
      const heard = this.current !== null ? { id: this.current, played: this.played } : (this.lastFinished ?? { id: null, played: 0 });
      this.port.postMessage({ type: 'flushed', id: heard.id, played: heard.played, requestId: m.requestId });
      this.lastFinished = null;
      this.queue = [];
      this.buffered = 0;
      this.current = null;
      this.played = 0;
      this.primed = false;
    }
  }

  finishCurrent() {
    if (this.current !== null) {
      this.port.postMessage({ type: 'done', id: this.current, played: this.played });
      this.lastFinished = { id: this.current, played: this.played };
      this.ended.delete(this.current);
    }
    this.current = null;
    this.played = 0;
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    let written = 0;
    const head = this.queue[0];
    if (!this.primed && head && (this.buffered >= this.prebuffer || this.ended.has(head.id))) this.primed = true;
    while (this.primed && written < out.length && this.queue.length > 0) {
      const chunk = this.queue[0];
      if (chunk.id !== this.current) {
        this.finishCurrent();
        this.current = chunk.id;
        this.port.postMessage({ type: 'started', id: chunk.id });
      }
      const n = Math.min(out.length - written, chunk.samples.length - chunk.offset);
      for (let i = 0; i < n; i++) {
        const s = chunk.samples[chunk.offset + i];
        out[written + i] = s;
        this.sumSquares += s * s;
      }
      chunk.offset += n;
      written += n;
      this.played += n;
      this.buffered -= n;
      if (chunk.offset === chunk.samples.length) this.queue.shift();
    }
    for (let i = written; i < out.length; i++) out[i] = 0;
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    if (this.queue.length === 0 && this.current !== null) {
      if (this.ended.has(this.current)) {
        this.finishCurrent();
        this.primed = false;
      } else if (written < out.length && this.primed) {
        this.underruns++;
        this.primed = false;
      }
    }
    this.sinceReport += out.length;
    if (this.sinceReport >= sampleRate / 50) {   // every ~20 ms
      this.port.postMessage({ type: 'progress', id: this.current, played: this.played, buffered: this.buffered, rms: Math.sqrt(this.sumSquares / this.sinceReport), underruns: this.underruns });
      this.sinceReport = 0;
      this.sumSquares = 0;
    }
    return true;
  }
}

registerProcessor('pcm-playback', PcmPlayback);
