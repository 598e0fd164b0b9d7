/**
 * Users this isolate has refused (429), and until when. While a user is refused here, the rate
 * limiter's round trip does not also read the stored result the request asks for: a refused request
 * would still download the whole entry (megabytes from Upstash, for no quota), and how long it took
 * would tell an over-quota client, as often as it liked, whether anyone had asked the same question
 * (which otherwise costs one analysis of quota to learn). A user this isolate admitted to the last
 * slot of the window counts as refused too (until the window's reset), so the first refusal does not
 * read it either; only a user who used the last slot in another isolate, or whose first refusal
 * comes after that reset (the sliding window still counting the previous window), still has it read
 * once here. An admitted request reads it after the decision instead, one round trip more for a
 * user who was at the limit.
 */
import { makeRoom } from "../bounded-map.js";

export class RefusedUsers {
  readonly #until = new Map<string, number>();

  constructor(private readonly maxEntries = 10_000) {}

  /** `user` was refused; a slot frees at `untilMs` (epoch ms). */
  refuse(user: string, untilMs: number): void {
    this.#until.delete(user);
    makeRoom(this.#until, this.maxEntries);
    this.#until.set(user, untilMs);
  }

  /** Whether `user` was refused here and no slot has freed since. */
  isRefused(user: string, nowMs: number): boolean {
    const until = this.#until.get(user);
    if (until === undefined) return false;
    if (until > nowMs) return true;
    this.#until.delete(user);
    return false;
  }

  /** `user` was admitted: forget any refusal. */
  admit(user: string): void {
    this.#until.delete(user);
  }
}
