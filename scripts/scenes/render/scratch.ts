/**
 * Reusable full-image Float32Array buffers. Rendering is synchronous and one scene at a time per
 * thread, so the big buffers of the previous scene (canvas, noise fields, blur temporaries) can be
 * handed to the next one instead of being garbage-collected: a large share of the time at 1024²
 * otherwise goes to the GC. Only buffers of the most recent sizes are kept.
 */
const cache = new Map<string, Float32Array>();
const MAX_KEPT = 12;

/** A buffer for `name` with `length` floats; zeroed when asked (otherwise contents are stale). */
export function scratch(name: string, length: number, zero: boolean): Float32Array {
  const key = `${name}:${length}`;
  let buf = cache.get(key);
  if (!buf) {
    // A new size replaces older sizes of the same name.
    for (const k of cache.keys()) if (k.startsWith(`${name}:`)) cache.delete(k);
    if (cache.size >= MAX_KEPT) cache.delete(cache.keys().next().value!);
    buf = new Float32Array(length);
    cache.set(key, buf);
    return buf;
  }
  if (zero) buf.fill(0);
  return buf;
}
