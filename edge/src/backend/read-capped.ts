/**
 * Read a response body, but never more than `maxBytes`: a misbehaving backend (or anything
 * answering at its address) must not make the isolate buffer an unbounded body. The stream is
 * cancelled as soon as the cap is passed, so the rest is never downloaded.
 */
export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
}

/** The body's bytes, at most `maxBytes` of them (else BodyTooLargeError). */
export async function readCappedBytes(res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new BodyTooLargeError(`body of ${declared} bytes exceeds ${maxBytes}`);
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel();
      throw new BodyTooLargeError(`body exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const whole = new Uint8Array(bytes);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}

/** The body as UTF-8 text, at most `maxBytes` of it (else BodyTooLargeError). */
export async function readCapped(res: Response, maxBytes: number): Promise<string> {
  return new TextDecoder().decode(await readCappedBytes(res, maxBytes));
}
