/**
 * The key analysis ids are made with (shared's analysisIdKey): RESULT_ID_SECRET where it is set;
 * otherwise one derived from BACKEND_SIGNING_SECRET as HMAC-SHA256(secret, a fixed label), so a
 * deployment needs no extra secret and the two uses never share key bytes. Deriving ties the ids
 * to the signing secret: rotating it gives every request a new id (stored results are no longer
 * found by POST; ids already handed out still work by GET until they expire), which a dedicated
 * RESULT_ID_SECRET avoids (docs/DEPLOY.md).
 */
import { analysisIdKey, bytesToHex, toBytes } from "@lanesegnet/shared";

const DERIVATION_LABEL = "lanesegnet analysis ids v2";

export async function resultIdKey(secrets: {
  readonly idSecret: string | undefined;
  readonly signingSecret: string;
}): Promise<CryptoKey> {
  if (secrets.idSecret !== undefined) return analysisIdKey(secrets.idSecret);
  const parent = await crypto.subtle.importKey(
    "raw",
    toBytes(secrets.signingSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const derived = await crypto.subtle.sign("HMAC", parent, toBytes(DERIVATION_LABEL));
  return analysisIdKey(bytesToHex(new Uint8Array(derived)));
}
