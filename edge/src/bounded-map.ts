/**
 * Make room for one more entry in a Map used as a per-isolate cache: at `max` entries, drop the
 * oldest (Maps iterate in insertion order). Per-isolate state must stay bounded whatever the
 * clients send: an isolate lives for many requests in 128 MB.
 */
export function makeRoom<K, V>(map: Map<K, V>, max: number): void {
  if (map.size < max) return;
  const oldest = map.keys().next().value;
  if (oldest !== undefined) map.delete(oldest);
}
