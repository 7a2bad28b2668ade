// Microphone capture: resamples whatever rate the AudioContext runs at to 24 kHz mono PCM16 and posts
// fixed-size chunks (chunkMs, 20 ms by default) to the page, with the chunk's RMS and peak for the level meter.
// The resampler is a windowed-sinc low-pass (Blackman, cutoff at 0.9 of the lower Nyquist) evaluated from a phase
// table, so 48 kHz -> 24 kHz does not alias the upper band into speech.

const TAPS = 16;         // input samples on each side of the output instant (scaled up when decimating)
const PHASES = 256;      // fractional positions in the kernel table

class PcmCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions ?? {};
    this.outRate = o.targetRate ?? 24000;
    this.chunk = Math.round(this.outRate * (o.chunkMs ?? 20) / 1000);
    this.step = sampleRate / this.outRate;                 // input samples per output sample
    this.passThrough = sampleRate === this.outRate;
    const scale = Math.max(1, this.step);                  // widen the kernel when decimating
    this.cutoff = 0.9 / scale;                             // relative to the input Nyquist
    this.half = Math.ceil(TAPS * scale);
    this.table = this.buildTable();
    this.history = new Float32Array(0);                    // unconsumed input, with `half` samples of look-back
    this.position = this.half;                             // next output instant, in history samples
    this.out = new Int16Array(this.chunk);
    this.filled = 0;
    this.sumSquares = 0;
    this.peak = 0;
    this.port.onmessage = (e) => { if (e.data?.type === 'reset') { this.filled = 0; } };
  }

  buildTable() {
    const width = 2 * this.half;
    const table = new Float32Array((PHASES + 1) * width);
    for (let p = 0; p <= PHASES; p++) {
      const frac = p / PHASES;
      let sum = 0;
      for (let k = 0; k < width; k++) {
        const x = k - (this.half - 1) - frac;              // distance from the output instant, in input samples
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * this.cutoff * x) / (Math.PI * this.cutoff * x);
        const w = 0.42 + 0.5 * Math.cos(Math.PI * x / this.half) + 0.08 * Math.cos(2 * Math.PI * x / this.half);
        const v = Math.abs(x) >= this.half ? 0 : sinc * w;
        table[p * width + k] = v;
        sum += v;
      }
      for (let k = 0; k < width; k++) table[p * width + k] /= sum;   // unity gain at DC
    }
    return table;
  }

  emit(sample) {
    const s = Math.max(-1, Math.min(1, sample));
    this.out[this.filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
    this.sumSquares += s * s;
    const a = Math.abs(s);
    if (a > this.peak) this.peak = a;
    if (this.filled === this.chunk) {
      const pcm = this.out.slice(0);
      this.port.postMessage({ type: 'chunk', pcm: pcm.buffer, rms: Math.sqrt(this.sumSquares / this.chunk), peak: this.peak }, [pcm.buffer]);
      this.filled = 0;
      this.sumSquares = 0;
      this.peak = 0;
    }
  }

  process(inputs) {
    const input = inputs[0]?.[0];
    if (!input) return true;
    if (this.passThrough) {
      for (let i = 0; i < input.length; i++) this.emit(input[i]);
      return true;
    }
    const joined = new Float32Array(this.history.length + input.length);
    joined.set(this.history);
    joined.set(input, this.history.length);
    const width = 2 * this.half;
    let t = this.position;
    while (Math.floor(t) + this.half < joined.length) {
      const base = Math.floor(t);
      const row = Math.round((t - base) * PHASES) * width;
      let acc = 0;
      for (let k = 0, i = base - this.half + 1; k < width; k++, i++) acc += joined[i] * this.table[row + k];
      this.emit(acc);
      t += this.step;
    }
    const keepFrom = Math.max(0, Math.floor(t) - this.half + 1);
    this.history = joined.slice(keepFrom);
    this.position = t - keepFrom;
    return true;
  }
}

registerProcessor('pcm-capture', PcmCapture);
