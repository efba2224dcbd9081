import { describe, expect, test } from "bun:test";
import { escapeOverlayPath, MOUNT_DATA_MAX, overlayFsParams, overlayOptions, planOverlayMount } from "../../../src/sandbox/overlay.ts";

describe("overlay option string", () => {
  const rows: [string, Parameters<typeof overlayOptions>[0], string][] = [
    [
      "as root: lower dirs top-most first, upper, work, the fixed options",
      { lowerDirs: ["/s/c", "/s/b", "/s/a"], upperDir: "/u", workDir: "/w", userxattr: false },
      "lowerdir=/s/c:/s/b:/s/a,upperdir=/u,workdir=/w,redirect_dir=off,metacopy=off,index=off",
    ],
    [
      "in a user namespace: userxattr",
      { lowerDirs: ["/s/a"], upperDir: "/u", workDir: "/w", userxattr: true },
      "lowerdir=/s/a,upperdir=/u,workdir=/w,redirect_dir=nofollow,metacopy=off,index=off,userxattr",
    ],
    [
      "read-only (no upper, no work)",
      { lowerDirs: ["/s/a", "/e"], userxattr: false },
      "lowerdir=/s/a:/e,redirect_dir=off,metacopy=off,index=off",
    ],
    [
      "commas, colons and backslashes in paths are escaped",
      { lowerDirs: ["/s/a:b", "/s/c,d"], upperDir: "/u\\x", workDir: "/w", userxattr: false },
      "lowerdir=/s/a\\:b:/s/c\\,d,upperdir=/u\\\\x,workdir=/w,redirect_dir=off,metacopy=off,index=off",
    ],
  ];
  for (const [name, input, want] of rows) test(name, () => expect(overlayOptions(input)).toBe(want));

  test("escapeOverlayPath leaves ordinary paths alone", () => expect(escapeOverlayPath("/var/lib/kiln/snapshots/ab")).toBe("/var/lib/kiln/snapshots/ab"));

  test("fsconfig parameters: one lowerdir+ per layer, raw paths, flags without value", () => {
    expect(overlayFsParams({ lowerDirs: ["/a:b", "/c"], upperDir: "/u", workDir: "/w", userxattr: true }).params).toEqual([
      ["source", "overlay"], ["lowerdir+", "/a:b"], ["lowerdir+", "/c"], ["upperdir", "/u"], ["workdir", "/w"],
      ["redirect_dir", "nofollow"], ["metacopy", "off"], ["index", "off"], ["userxattr", null],
    ]);
  });

  const layers = (n: number) => Array.from({ length: n }, (_, i) => `/var/lib/kiln/snapshots/${i.toString(16).padStart(64, "0")}`);
  const plans: [string, number, "mount" | "fsconfig"][] = [
    ["a few layers fit one page: a single mount(2)", 5, "mount"],
    ["50 long snapshot paths do not fit one page: fsconfig lowerdir+", 50, "fsconfig"],
    ["500 layers (overlay's maximum stack): fsconfig lowerdir+", 500, "fsconfig"],
  ];
  for (const [name, n, api] of plans) {
    test(name, () => {
      const plan = planOverlayMount({ lowerDirs: layers(n), upperDir: "/u", workDir: "/w", userxattr: false });
      expect(plan.api).toBe(api);
      if (plan.api === "mount") expect(plan.data.length).toBeLessThanOrEqual(MOUNT_DATA_MAX);
    });
  }

  const invalid: [string, Parameters<typeof planOverlayMount>[0], string][] = [
    ["no lower dir at all", { lowerDirs: [], upperDir: "/u", workDir: "/w", userxattr: false }, "at least one lower dir"],
    ["read-only with one lower dir", { lowerDirs: ["/a"], userxattr: false }, "at least two lower dirs"],
  ];
  for (const [name, input, msg] of invalid) test(`refused: ${name}`, () => expect(() => planOverlayMount(input)).toThrow(msg));
});
