/** Small WebCrypto helpers (crypto.subtle only: identical in workerd, browsers and Node 20+). */

const encoder = new TextEncoder();

export type BytesLike = string | Uint8Array | ArrayBuffer;

/** UTF-8 bytes of a string, or the bytes themselves. */
export function toBytes(data: BytesLike): Uint8Array<ArrayBuffer> {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  // Copy so the result is backed by a plain ArrayBuffer, as crypto.subtle's types require.
  return new Uint8Array(data);
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** Bytes of a lower- or upper-case hex string, or null when it is not hex of whole bytes. */
export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** SHA-256 of the data as lower-case hex. */
export async function sha256Hex(data: BytesLike): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", toBytes(data))));
}

/** `n` cryptographically random bytes as hex. */
export function randomHex(n: number): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(n)));
}
