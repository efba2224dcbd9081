import { describe, expect, test } from "bun:test";
import { FileLock } from "../../../src/store/lock.ts";
import { tempDir } from "../../harness.ts";

describe("FileLock (flock through bun:ffi)", () => {
  const rows: [string, "shared" | "exclusive", "shared" | "exclusive", boolean][] = [
    ["shared + shared may coexist", "shared", "shared", true],
    ["shared excludes exclusive", "shared", "exclusive", false],
    ["exclusive excludes shared", "exclusive", "shared", false],
    ["exclusive excludes exclusive", "exclusive", "exclusive", false],
  ];
  for (const [name, first, second, both] of rows) {
    test(name, async () => {
      using dir = tempDir("lock");
      using _a = await FileLock.acquire(dir.join("l"), first);
      const b = FileLock.tryAcquire(dir.join("l"), second);
      expect(b !== undefined).toBe(both);
      b?.release();
    });
  }

  test("a waiter gets the lock when the holder releases it", async () => {
    using dir = tempDir("lock");
    const a = await FileLock.acquire(dir.join("l"), "exclusive");
    let waited = false;
    const pending = FileLock.acquire(dir.join("l"), "exclusive", { onWait: () => (waited = true) });
    queueMicrotask(() => setTimeout(() => a.release(), 20));
    using b = await pending;
    expect(waited).toBe(true);
    expect(b.mode).toBe("exclusive");
  });

  test("giving up after the timeout is E_STORE_LOCKED", async () => {
    using dir = tempDir("lock");
    using _a = await FileLock.acquire(dir.join("l"), "exclusive");
    await expect(FileLock.acquire(dir.join("l"), "exclusive", { timeoutMs: 30 })).rejects.toMatchObject({ code: "E_STORE_LOCKED" });
  });

  test("shared can be upgraded to exclusive when alone, and back", async () => {
    using dir = tempDir("lock");
    using a = await FileLock.acquire(dir.join("l"), "shared");
    await a.relock("exclusive", { timeoutMs: 100 });
    expect(FileLock.tryAcquire(dir.join("l"), "shared")).toBeUndefined();
    await a.relock("shared");
    const b = FileLock.tryAcquire(dir.join("l"), "shared");
    expect(b).toBeDefined();
    b?.release();
  });

  test("a lock held by another process is seen, and is freed when that process is killed", async () => {
    using dir = tempDir("lock");
    const script = `const { FileLock } = await import(${JSON.stringify(new URL("../../../src/store/lock.ts", import.meta.url).pathname)});
      await FileLock.acquire(${JSON.stringify(dir.join("l"))}, "exclusive"); console.log("held"); await Bun.sleep(60000);`;
    const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit" });
    const reader = child.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("held");
    expect(FileLock.tryAcquire(dir.join("l"), "shared")).toBeUndefined();
    child.kill("SIGKILL");
    await child.exited;
    using after = await FileLock.acquire(dir.join("l"), "exclusive", { timeoutMs: 5000 });
    expect(after.mode).toBe("exclusive");
  });
});
