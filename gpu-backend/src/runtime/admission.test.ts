import { describe, expect, it } from "vitest";
import { Admission, DrainingError, OverloadedError } from "./admission.js";

/** A task that runs until `finish` is called; `started` says whether it ever ran. */
function heldTask() {
  let finish!: () => void;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  const task = {
    started: false,
    finish: () => finish(),
    run: async () => {
      task.started = true;
      await done;
      return "done";
    },
  };
  return task;
}

describe("Admission", () => {
  it("runs up to `concurrent` at once, queues up to `queue`, refuses beyond with a Retry-After", async () => {
    const admission = new Admission(1, 1);
    const a = heldTask();
    const b = heldTask();
    const ra = admission.run(a.run);
    const rb = admission.run(b.run);
    await expect(admission.run(heldTask().run)).rejects.toBeInstanceOf(OverloadedError);
    expect([a.started, b.started, admission.inFlight, admission.queued]).toEqual([true, false, 1, 1]);
    a.finish();
    await ra;
    await Promise.resolve();
    expect(b.started).toBe(true);
    b.finish();
    await expect(rb).resolves.toBe("done");
    expect([admission.inFlight, admission.queued]).toEqual([0, 0]);
  });

  it("a waiting task whose caller hung up leaves the queue, never runs, and frees its place", async () => {
    const admission = new Admission(1, 1);
    const a = heldTask();
    const b = heldTask();
    const c = heldTask();
    const ra = admission.run(a.run);
    const hangUp = new AbortController();
    const rb = admission.run(b.run, hangUp.signal);
    hangUp.abort(new Error("client closed"));
    await expect(rb).rejects.toThrow("client closed");
    expect(admission.queued).toBe(0);
    // Its place in the queue is free again, and the running task's slot passes to the next one.
    const rc = admission.run(c.run);
    expect(admission.queued).toBe(1);
    a.finish();
    await ra;
    c.finish();
    await expect(rc).resolves.toBe("done");
    expect(b.started).toBe(false);
    expect([admission.inFlight, admission.queued]).toEqual([0, 0]);
  });

  it("an aborted caller is not admitted even when a slot is free", async () => {
    const admission = new Admission(2, 2);
    const t = heldTask();
    await expect(admission.run(t.run, AbortSignal.abort(new Error("gone")))).rejects.toThrow("gone");
    expect([t.started, admission.inFlight]).toEqual([false, 0]);
  });

  it("an abort after admission does not take the slot back twice", async () => {
    const admission = new Admission(1, 1);
    const a = heldTask();
    const b = heldTask();
    const ra = admission.run(a.run);
    const hangUp = new AbortController();
    const rb = admission.run(b.run, hangUp.signal);
    a.finish();
    await ra;
    await Promise.resolve();
    expect(b.started).toBe(true);
    hangUp.abort();
    b.finish();
    await expect(rb).resolves.toBe("done");
    expect([admission.inFlight, admission.queued]).toEqual([0, 0]);
  });
});

describe("Retry-After", () => {
  it("spreads the work ahead over the concurrent slots", async () => {
    const a = new Admission(4, 0);
    const release: (() => void)[] = [];
    const runs = Array.from({ length: 4 }, () => a.run(() => new Promise<void>((r) => release.push(r))));
    // 4 running, 1 s each (the initial estimate), 4 slots: about 1 s, not 16.
    expect(a.retryAfterS()).toBe(1);
    for (const r of release) r();
    await Promise.all(runs);
  });

  it("drain() refuses the waiting tasks and every later one, and lets the running one finish", async () => {
    const admission = new Admission(1, 2);
    const running = heldTask();
    const waiting = heldTask();
    const ran = admission.run(running.run);
    const queued = admission.run(waiting.run);
    expect(admission.drain()).toBe(1);
    await expect(queued).rejects.toBeInstanceOf(DrainingError);
    // One that arrives after the drain (its body came late) is not admitted, though the queue is empty.
    const late = heldTask();
    await expect(admission.run(late.run)).rejects.toBeInstanceOf(DrainingError);
    running.finish();
    expect(await ran).toBe("done");
    expect([waiting.started, late.started, admission.inFlight, admission.queued]).toEqual([
      false,
      false,
      0,
      0,
    ]);
  });
});
