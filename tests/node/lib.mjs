// Shared helpers for the Node client tests. Each test script connects to a running server
// (REALTIME_BASE_URL, e.g. https://127.0.0.1:PORT/v1 or ws://127.0.0.1:PORT/v1), asserts, and exits 0 on success.
// On failure it prints the reason and exits 1; the C# end-to-end tests run these scripts.
import assert from 'node:assert/strict';

export { assert };

export const baseUrl = process.env.REALTIME_BASE_URL ?? 'ws://127.0.0.1:8080/v1';
export const apiKey = process.env.REALTIME_API_KEY ?? 'sk-test';

/** Collects server events and lets a test wait for a predicate with a timeout. */
export class EventLog {
  constructor() { this.events = []; this.waiters = []; }
  push(e) {
    this.events.push(e);
    for (const w of [...this.waiters]) if (w.pred(e)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(e); }
  }
  waitFor(pred, what, ms = 60000) {
    const found = this.events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      this.waiters.push(w);
      setTimeout(() => reject(new Error(`timed out waiting for ${what}; got: ${this.types().join(', ')}`)), ms).unref();
    });
  }
  since(index) { return this.events.slice(index); }
  types(from = 0) { return this.events.slice(from).map(e => e.type); }
}

/** Collapses runs of the same delta type so sequences can be compared exactly. */
export function collapseDeltas(types) {
  const out = [];
  for (const t of types) if (!(t.endsWith('.delta') && out[out.length - 1] === t)) out.push(t);
  return out;
}

/** Every server event carries a unique event_id starting with event_. */
export function assertEventIds(events) {
  const ids = new Set();
  for (const e of events) {
    assert.equal(typeof e.event_id, 'string', `event_id missing on ${e.type}`);
    assert.match(e.event_id, /^event_[A-Za-z0-9]{21}$/, `bad event_id ${e.event_id}`);
    assert.ok(!ids.has(e.event_id), `duplicate event_id ${e.event_id}`);
    ids.add(e.event_id);
  }
}

export async function main(fn, timeoutMs = 180000) {
  const timer = setTimeout(() => { console.error('FAIL: script timeout'); process.exit(1); }, timeoutMs);
  try {
    await fn();
    clearTimeout(timer);
    console.log('PASS');
    process.exit(0);
  } catch (err) {
    console.error('FAIL:', err?.stack ?? err);
    process.exit(1);
  }
}
