import { describe, expect, test } from "bun:test";
import { resolveUser } from "../../../src/sandbox/user.ts";

const passwd = [
  "root:x:0:0:root:/root:/bin/sh",
  "daemon:x:2:2:daemon:/sbin:/sbin/nologin",
  "app:x:1000:1000:App:/home/app:/bin/sh",
  "# comment",
  "broken-line",
  "",
].join("\n");
const group = ["root:x:0:root", "wheel:x:10:root,app", "app:x:1000:", "docker:x:999:app", "staff:x:50:"].join("\n");

describe("resolveUser (runc rules)", () => {
  const rows: [string, string, { uid: number; gid: number; groups: number[]; home: string }][] = [
    ["empty user is root with root's supplementary groups (0 once)", "", { uid: 0, gid: 0, groups: [0, 10], home: "/root" }],
    ["a name gets its passwd ids, home, primary and listed groups", "app", { uid: 1000, gid: 1000, groups: [1000, 10, 999], home: "/home/app" }],
    ["a known uid is looked up like a name", "1000", { uid: 1000, gid: 1000, groups: [1000, 10, 999], home: "/home/app" }],
    ["a user listed in no group still has its primary gid (Docker's groups=65534(nogroup))", "daemon", { uid: 2, gid: 2, groups: [2], home: "/sbin" }],
    ["an unknown uid needs no entry: gid 0, home /", "4242", { uid: 4242, gid: 0, groups: [0], home: "/" }],
    ["name:group sets the group and only that group", "app:staff", { uid: 1000, gid: 50, groups: [50], home: "/home/app" }],
    ["uid:gid numeric both", "4242:4343", { uid: 4242, gid: 4343, groups: [4343], home: "/" }],
    ["name:gid with a gid not in /etc/group", "daemon:777", { uid: 2, gid: 777, groups: [777], home: "/sbin" }],
  ];
  for (const [name, spec, want] of rows) test(name, () => expect(resolveUser(spec, passwd, group)).toEqual(want));

  const errors: [string, string, string | undefined, string][] = [
    ["an unknown name", "nobody", passwd, "unable to find user nobody: no matching entries in passwd file"],
    ["a name without /etc/passwd", "app", undefined, "unable to find user app"],
    ["an unknown group name", "app:nogroup", passwd, "unable to find group nogroup: no matching entries in group file"],
  ];
  for (const [name, spec, pw, msg] of errors) test(`error: ${name}`, () => expect(() => resolveUser(spec, pw, group)).toThrow(msg));

  test("numeric ids work without passwd or group files (FROM scratch)", () => {
    expect(resolveUser("123:456", undefined, undefined)).toEqual({ uid: 123, gid: 456, groups: [456], home: "/" });
    expect(resolveUser("", undefined, undefined)).toEqual({ uid: 0, gid: 0, groups: [0], home: "/" });
  });
});
