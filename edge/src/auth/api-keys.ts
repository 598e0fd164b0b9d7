/**
 * API keys: `lsn_` + 32 random bytes in base64url. Only the SHA-256 of a key is stored (a fast
 * hash is right here: the key has 256 bits of entropy, so it cannot be guessed from its hash), as
 * `{prefix}apikey:{sha256 hex}` -> {"user", "created_at"}, plus a per-user set of hashes for
 * listing. Shared by the Worker (lookup) and `npm run keys` (create, revoke, list).
 */
import { sha256Hex } from "@lanesegnet/shared";
import { bytesToBase64url } from "../cache/base64.js";
import type { Redis } from "../redis/client.js";
import type { KeySpace } from "../redis/keys.js";

export const API_KEY_PREFIX = "lsn_";
export const API_KEY_PATTERN = /^lsn_[A-Za-z0-9_-]{43}$/;
/** User ids: what rate limits and audit lines are keyed by. */
export const USER_ID_PATTERN = /^[A-Za-z0-9._@:+-]{1,128}$/;

export interface ApiKeyRecord {
  readonly user: string;
  readonly created_at: string;
}

/** A new random key (not stored). */
export function generateApiKey(): string {
  return API_KEY_PREFIX + bytesToBase64url(crypto.getRandomValues(new Uint8Array(32)));
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

export class ApiKeyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
  ) {}

  /**
   * The record of a presented key (with `keyId`, the first 12 hex of its hash, for logs, and the
   * hash itself), or null when it is malformed, unknown or revoked.
   */
  async lookup(key: string): Promise<(ApiKeyRecord & { keyId: string; hash: string }) | null> {
    if (!API_KEY_PATTERN.test(key)) return null;
    const hash = await hashApiKey(key);
    const record = parseRecord(await this.redis.get<string>(this.keys.apiKey(hash)));
    return record && { ...record, keyId: hash.slice(0, 12), hash };
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
    const key = generateApiKey();
    const hash = await hashApiKey(key);
    const record: ApiKeyRecord = { user, created_at: now.toISOString() };
    const p = this.redis.pipeline();
    p.set(this.keys.apiKey(hash), JSON.stringify(record), { nx: true });
    p.sadd(this.keys.userKeys(user), hash);
    const [set] = await p.exec<[string | null, number]>();
    // 256 random bits never collide; a failed NX means something is badly wrong, so say so.
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

  /** Hashes and creation times of a user's keys. */
  async list(user: string): Promise<{ hash: string; created_at: string }[]> {
    const hashes = await this.redis.smembers<string[]>(this.keys.userKeys(user));
    if (hashes.length === 0) return [];
    const raws = await this.redis.mget<(string | null)[]>(...hashes.map((h) => this.keys.apiKey(h)));
    const out: { hash: string; created_at: string }[] = [];
    hashes.forEach((hash, i) => {
      const rec = parseRecord(raws[i] ?? null);
      if (rec) out.push({ hash, created_at: rec.created_at });
    });
    return out.sort((a, b) => a.created_at.localeCompare(b.created_at));
  }
}
