/**
 * Standard base64 of bytes, and back. Uses the native Uint8Array.toBase64/fromBase64 where the
 * runtime has them (workerd does), else btoa/atob in chunks (Node 20, for unit tests and the CLI).
 */
type NativeBase64 = {
  fromBase64?: (s: string) => Uint8Array;
};
type NativeToBase64 = { toBase64?: () => string };

const nativeFrom = (Uint8Array as unknown as NativeBase64).fromBase64;
const hasNativeTo = typeof (new Uint8Array(0) as unknown as NativeToBase64).toBase64 === "function";

export function bytesToBase64(bytes: Uint8Array): string {
  if (hasNativeTo) return (bytes as unknown as Required<NativeToBase64>).toBase64();
  let out = "";
  // 3 * 8192 bytes per chunk keeps every chunk's base64 free of padding, so chunks concatenate.
  const chunk = 3 * 8192;
  for (let i = 0; i < bytes.length; i += chunk) {
    out += btoa(String.fromCharCode(...bytes.subarray(i, i + chunk)));
  }
  return out;
}

/** base64url without padding (RFC 4648 §5): ETags and API keys. */
export function bytesToBase64url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

export function base64ToBytes(text: string): Uint8Array {
  if (nativeFrom) return nativeFrom(text);
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
