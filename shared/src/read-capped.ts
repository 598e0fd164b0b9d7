/**
 * Read a fetch Response's body, but never more than `maxBytes`: a misbehaving peer must not make
 * the reader buffer an unbounded body (the edge's Worker has 128 MB; the backend reads imagery
 * from third parties). The stream is cancelled as soon as the cap is passed, so the rest is never
 * downloaded. Web streams only: the same code runs in workerd and in Node.
 */
export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
  constructor(
    /** The size the peer declared (Content-Length), when that is what passed the cap. */
    readonly declaredBytes: number | undefined,
    readonly maxBytes: number,
  ) {
    super(
      declaredBytes === undefined
        ? `body exceeds ${maxBytes} bytes`
        : `body of ${declaredBytes} bytes exceeds ${maxBytes}`,
    );
  }
}

/** What to do with the rest of a body past the cap (default: cancel it). */
export type Overflow = (rest: ReadableStreamDefaultReader<Uint8Array>) => Promise<void>;

const cancelRest: Overflow = (rest) => rest.cancel().catch(() => undefined);

/** The body's bytes, at most `maxBytes` of them (else BodyTooLargeError, after `overflow`). */
export async function readCappedBytes(
  res: Pick<Response, "headers" | "body">,
  maxBytes: number,
  overflow: Overflow = cancelRest,
): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(declared, maxBytes);
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
      await overflow(reader);
      throw new BodyTooLargeError(undefined, maxBytes);
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
