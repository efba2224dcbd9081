import { describe, expect, test } from "bun:test";
import { constants } from "node:os";
import { errnoCode } from "../../../src/errors.ts";
import { setXattr } from "../../../src/layer/_sys.ts";
import { SysError as SandboxSysError } from "../../../src/sandbox/sys.ts";
import { SysError } from "../../../src/util/sys-error.ts";

describe("SysError: one errno error for every libc call", () => {
  const rows: { name: string; syscall: string; errno: number; path?: string; code: string; message: string }[] = [
    { name: "with a path", syscall: "mknod", errno: constants.errno.EPERM, path: "/a/b", code: "EPERM", message: "mknod /a/b: EPERM" },
    { name: "without a path", syscall: "setgid", errno: constants.errno.EINVAL, code: "EINVAL", message: "setgid: EINVAL" },
    { name: "an errno Node has no name for", syscall: "x", errno: 4000, path: "/p", code: "E4000", message: "x /p: E4000" },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const err = new SysError(r.syscall, r.errno, r.path);
      expect(err.message).toBe(r.message);
      expect(errnoCode(err)).toBe(r.code);
      expect(err).toMatchObject({ errno: r.errno, syscall: r.syscall, path: r.path ?? "" });
    });
  }

  test("layer/ and sandbox/ throw the same class (an instanceof check in one recognises the other's)", () => {
    expect(SandboxSysError).toBe(SysError);
    let thrown: unknown;
    try {
      setXattr("/nonexistent/kiln-sys-error-test", "user.x", new Uint8Array([1]));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SandboxSysError);
    expect(errnoCode(thrown)).toBe("ENOENT");
  });
});
