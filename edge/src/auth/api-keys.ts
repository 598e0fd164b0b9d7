/**
 * API keys: `lsn_` + base64url of 24 random bytes and an 8-byte tag, the truncated HMAC-SHA256 of
 * those bytes under a secret kept in Redis. Only the SHA-256 of a key is stored (a fast hash is
 * right here: the key has 192 random bits, so it cannot be guessed from its hash), as
 * `{prefix}apikey:{sha256 hex}` -> {"user", "created_at", "secret_id"}, plus a per-user set of
 * hashes for listing (`secret_id` names the tag secret the key was made under, so `list` can say
 * which stored keys no lookup will take any more). Shared by the Worker (lookup) and `npm run keys` (create, revoke, list).
 *
 * Why the tag: without it, every made-up key in the right shape cost a Redis GET to refuse, so a
 * flood of random keys was a flood of Upstash commands, billed and competing with real traffic.
 * With it, an isolate that has read the tag secret refuses a key it did not make without asking
 * Redis (2^-64 chance per guess). The secret lives in Redis, beside the keys it guards, so there is
 * nothing to configure: `create` makes it once (SET NX GET), the Worker reads it in the same round
 * trip as its first key lookup and keeps it (reading it again at most once a minute when a key
 * fails its tag, so a replaced secret is noticed). It guards Redis's bill, not access: the stored
 * hash still decides whether a key is valid. Deleting it invalidates every key; keys made before
 * tags existed (32 random bytes) are refused and must be made again (docs/DEPLOY.md).
 */
import { sha256Hex } from "@lanesegnet/shared";
import { base64ToBytes, bytesToBase64url } from "../cache/base64.js";
import type { Redis } from "../redis/client.js";
import type { KeySpace } from "../redis/keys.js";

export const API_KEY_PREFIX = "lsn_";
export const API_KEY_PATTERN = /^lsn_[A-Za-z0-9_-]{43}$/;
/** User ids: what rate limits and audit lines are keyed by. */
export const USER_ID_PATTERN = /^[A-Za-z0-9._@:+-]{1,128}$/;

const RANDOM_BYTES = 24;
const TAG_BYTES = 8;
const TAG_SECRET_BYTES = 32;
/** How often, at most, an isolate reads the tag secret again to see whether it was replaced. */
export const TAG_SECRET_RECHECK_MS = 60_000;

export interface ApiKeyRecord {
  readonly user: string;
  readonly created_at: string;
}

/** What `list` says of a stored key: whether a lookup takes it, and if not, why. */
export type ApiKeyStanding = "valid" | "secret-not-recorded" | "made-under-replaced-secret";

/** The id a record keeps of the tag secret its key was made under (the secret itself stays put). */
export async function tagSecretId(secret: string): Promise<string> {
  return (await sha256Hex(`lanesegnet api-key tag secret\n${secret}`)).slice(0, 16);
}

function importTagKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
}

async function keyOf(random: Uint8Array<ArrayBuffer>, tagKey: CryptoKey): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", tagKey, random));
  const bytes = new Uint8Array(RANDOM_BYTES + TAG_BYTES);
  bytes.set(random);
  bytes.set(mac.subarray(0, TAG_BYTES), RANDOM_BYTES);
  return API_KEY_PREFIX + bytesToBase64url(bytes);
}

/** A new random key with its tag (not stored). */
export function generateApiKey(tagKey: CryptoKey): Promise<string> {
  return keyOf(crypto.getRandomValues(new Uint8Array(RANDOM_BYTES)), tagKey);
}

/**
 * Whether a key in the right shape carries the tag of its random bytes. The key is rebuilt and
 * compared whole, so only the canonical spelling of those bytes passes (base64url's last
 * character has spare bits), in time that does not depend on where the first difference lies.
 */
export async function hasValidTag(key: string, tagKey: CryptoKey): Promise<boolean> {
  if (!API_KEY_PATTERN.test(key)) return false;
  const b64 = key.slice(API_KEY_PREFIX.length).replace(/-/g, "+").replace(/_/g, "/");
  const random = base64ToBytes(`${b64}=`).slice(0, RANDOM_BYTES);
  const expected = await keyOf(random, tagKey);
  let diff = 0;
  for (let i = 0; i < key.length; i++) diff |= key.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}

export function hashApiKey(key: string): Promise<string> {
  return sha256Hex(key);
}

function parseRecord(raw: string | null): ApiKeyRecord | null {
  if (raw === null) return null;
  try {
    const rec = JSON.parse(raw) as Partial<ApiKeyRecord>;
    return typeof rec.user === "string" && USER_ID_PATTERN.test(rec.user)
      ? { user: rec.user, created_at: String(rec.created_at ?? "") }
      : null;
  } catch {
    return null;
  }
}

/** The `secret_id` of a stored record; undefined for a record made before records kept it. */
function secretIdOf(raw: string | null): string | undefined {
  try {
    const id = (JSON.parse(raw ?? "null") as { secret_id?: unknown } | null)?.secret_id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

export class ApiKeyStore {
  /** The tag secret as last read and its key (settled, never a pending promise). */
  #tag: { readonly secret: string; readonly key: CryptoKey; readAt: number } | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The record of a presented key (with `keyId`, the first 12 hex of its hash, for logs, and the
   * hash itself), or null when it is malformed, carries no valid tag, is unknown or revoked.
   *
   * A key whose tag the secret as last read accepts costs one GET (its record). Any other is
   * refused without a Redis command, except at most once per TAG_SECRET_RECHECK_MS: then the secret
   * is read again with the record (one MGET), in case it was replaced (deleted and made anew), so
   * an isolate takes keys of a new secret within that time. Before any secret is known, every
   * lookup reads it with the record: until the first `create` there is none to keep.
   */
  async lookup(key: string): Promise<(ApiKeyRecord & { keyId: string; hash: string }) | null> {
    if (!API_KEY_PATTERN.test(key)) return null;
    const hash = await hashApiKey(key);
    const recordKey = this.keys.apiKey(hash);
    let raw: string | null;
    const tag = this.#tag;
    if (tag && (await hasValidTag(key, tag.key))) {
      raw = await this.redis.get<string>(recordKey);
    } else if (tag && this.now() - tag.readAt < TAG_SECRET_RECHECK_MS) {
      return null;
    } else {
      const [secret, record] = await this.redis.mget<[string | null, string | null]>(
        this.keys.apiKeyTagSecret(),
        recordKey,
      );
      const current = await this.#remember(secret);
      if (!current || !(await hasValidTag(key, current))) return null;
      raw = record;
    }
    const record = parseRecord(raw);
    return record && { ...record, keyId: hash.slice(0, 12), hash };
  }

  /** Keep the secret as just read (null or empty: there is none); its key, or undefined. */
  async #remember(secret: string | null): Promise<CryptoKey | undefined> {
    if (!secret) {
      this.#tag = undefined;
      return undefined;
    }
    const readAt = this.now();
    if (this.#tag?.secret === secret) this.#tag.readAt = readAt;
    else this.#tag = { secret, key: await importTagKey(secret), readAt };
    return this.#tag.key;
  }

  /**
   * The tag secret's key, the secret made when missing: one SET NX GET (Redis 7), which answers the
   * value that was there (another creator won) or nil (ours was stored). One command, so no read
   * can land on a replica that has not seen the write yet.
   */
  async #ensureTagKey(): Promise<{ key: CryptoKey; secretId: string }> {
    const secretKey = this.keys.apiKeyTagSecret();
    const mine = bytesToBase64url(crypto.getRandomValues(new Uint8Array(TAG_SECRET_BYTES)));
    const secret = (await this.redis.set<string>(secretKey, mine, { nx: true, get: true })) ?? mine;
    const key = await this.#remember(secret);
    if (!key)
      throw new Error(`the API key tag secret (${secretKey}) is empty: delete it to have a new one made`);
    return { key, secretId: await tagSecretId(secret) };
  }

  /** Redis key of the record of the key with this hash (to read it together with other commands). */
  recordKey(hash: string): string {
    return this.keys.apiKey(hash);
  }

  /** Whether a stored record, as read from `recordKey`, is a valid key of `user`. */
  static grants(raw: string | null, user: string): boolean {
    return parseRecord(raw)?.user === user;
  }

  /** Create and store a key for `user`; the key itself is returned once and never stored. */
  async create(user: string, now: Date = new Date()): Promise<{ key: string; hash: string }> {
    if (!USER_ID_PATTERN.test(user)) {
      throw new RangeError("user must be 1-128 characters of letters, digits and . _ @ : + -");
    }
    const tag = await this.#ensureTagKey();
    const key = await generateApiKey(tag.key);
    const hash = await hashApiKey(key);
    const record = { user, created_at: now.toISOString(), secret_id: tag.secretId };
    const p = this.redis.pipeline();
    p.set(this.keys.apiKey(hash), JSON.stringify(record), { nx: true });
    p.sadd(this.keys.userKeys(user), hash);
    const [set] = await p.exec<[string | null, number]>();
    // 192 random bits never collide; a failed NX means something is badly wrong, so say so.
    if (set !== "OK") throw new Error("key hash already present: refusing to overwrite");
    return { key, hash };
  }

  /** Revoke a key; false when it was not (or no longer) valid. */
  async revoke(key: string): Promise<boolean> {
    if (!API_KEY_PATTERN.test(key)) return false;
    return this.revokeHash(await hashApiKey(key));
  }

  /** Revoke by stored hash (for `keys list` output). */
  async revokeHash(hash: string): Promise<boolean> {
    if (!/^[0-9a-f]{64}$/.test(hash)) return false;
    const record = parseRecord(await this.redis.get<string>(this.keys.apiKey(hash)));
    const p = this.redis.pipeline();
    p.del(this.keys.apiKey(hash));
    if (record) p.srem(this.keys.userKeys(record.user), hash);
    const [deleted] = await p.exec<[number, ...number[]]>();
    return deleted === 1;
  }

  /**
   * Hashes, creation times and standing of a user's stored keys, oldest first. A key made under a
   * tag secret since replaced is still stored (until revoked) but no lookup takes it: its standing
   * says so. Records made before they named their secret cannot tell a tagged key from one made
   * before tags (which no lookup takes either): their standing says that.
   */
  async list(user: string): Promise<{ hash: string; created_at: string; standing: ApiKeyStanding }[]> {
    const hashes = await this.redis.smembers<string[]>(this.keys.userKeys(user));
    if (hashes.length === 0) return [];
    const [secret, ...raws] = await this.redis.mget<(string | null)[]>(
      this.keys.apiKeyTagSecret(),
      ...hashes.map((h) => this.keys.apiKey(h)),
    );
    const currentId = secret ? await tagSecretId(secret) : undefined;
    const out: { hash: string; created_at: string; standing: ApiKeyStanding }[] = [];
    hashes.forEach((hash, i) => {
      const raw = raws[i] ?? null;
      const rec = parseRecord(raw);
      if (!rec) return;
      const made = secretIdOf(raw);
      const standing: ApiKeyStanding =
        made === undefined
          ? "secret-not-recorded"
          : made === currentId
            ? "valid"
            : "made-under-replaced-secret";
      out.push({ hash, created_at: rec.created_at, standing });
    });
    return out.sort((a, b) => a.created_at.localeCompare(b.created_at));
  }
}
