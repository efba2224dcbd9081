import { describe, expect, test } from "bun:test";
import { CAPABILITIES, capabilityMask, DEFAULT_CAPABILITIES, formatCapabilityMask, normalizeCapability, resolveCapabilities, type CapabilityOptions } from "../../../src/sandbox/capabilities.ts";

const mask = (opts: CapabilityOptions) => {
  const caps = resolveCapabilities(opts);
  return caps === "all" ? "all" : formatCapabilityMask(capabilityMask(caps));
};

describe("capability names", () => {
  test("numbers follow linux/capability.h", () => {
    expect(CAPABILITIES.indexOf("CHOWN")).toBe(0);
    expect(CAPABILITIES.indexOf("NET_RAW")).toBe(13);
    expect(CAPABILITIES.indexOf("SYS_ADMIN")).toBe(21);
    expect(CAPABILITIES.indexOf("MKNOD")).toBe(27);
    expect(CAPABILITIES.indexOf("SETFCAP")).toBe(31);
    expect(CAPABILITIES.indexOf("CHECKPOINT_RESTORE")).toBe(40);
    expect(DEFAULT_CAPABILITIES.length).toBe(14);
  });

  const rows: [string, string, string][] = [
    ["bare upper case", "NET_ADMIN", "NET_ADMIN"],
    ["lower case", "net_admin", "NET_ADMIN"],
    ["CAP_ prefix", "CAP_SYS_PTRACE", "SYS_PTRACE"],
    ["mixed case prefix", "cap_Sys_Ptrace", "SYS_PTRACE"],
    ["all", "all", "ALL"],
    ["ALL", "ALL", "ALL"],
  ];
  for (const [name, input, want] of rows) test(name, () => expect<string>(normalizeCapability(input, "cap-add")).toBe(want));

  const bad: [string, string, "cap-add" | "cap-drop", string][] = [
    ["unknown name", "FOO", "cap-add", 'invalid CapAdd: unknown capability: "CAP_FOO"'],
    ["unknown with prefix", "cap_foo", "cap-drop", 'invalid CapDrop: unknown capability: "CAP_FOO"'],
    ["CAP_ALL is not ALL", "CAP_ALL", "cap-add", 'unknown capability: "CAP_ALL"'],
    ["empty", "", "cap-add", 'unknown capability: "CAP_"'],
  ];
  for (const [name, input, flag, message] of bad) test(`rejects: ${name}`, () => expect(() => normalizeCapability(input, flag)).toThrow(message));
});

describe("resolveCapabilities (moby TweakCapabilities)", () => {
  // The masks Docker 20.10 (Debian's docker.io) printed on this host for
  // `docker run --rm --network host [flags] alpine grep Cap /proc/self/status`.
  const rows: [string, CapabilityOptions, string][] = [
    ["default set", {}, "00000000a80425fb"],
    ["--cap-add SYS_ADMIN", { capAdd: ["sys_admin"] }, "00000000a82425fb"],
    ["--cap-drop ALL", { capDrop: ["ALL"] }, "0000000000000000"],
    // Computed from the rule (Docker itself cannot start these on a host whose root lacks a capability).
    ["--cap-drop ALL --cap-add NET_RAW", { capDrop: ["all"], capAdd: ["NET_RAW"] }, "0000000000002000"],
    ["--cap-drop CHOWN", { capDrop: ["CAP_CHOWN"] }, "00000000a80425fa"],
    ["--cap-add ALL", { capAdd: ["ALL"] }, "000001ffffffffff"],
    ["--cap-add ALL --cap-drop CHOWN", { capAdd: ["ALL"], capDrop: ["chown"] }, "000001fffffffffe"],
    ["--cap-add ALL wins over --cap-drop ALL", { capAdd: ["ALL"], capDrop: ["ALL"] }, "000001ffffffffff"],
    ["adding a default one changes nothing", { capAdd: ["CHOWN", "cap_chown"] }, "00000000a80425fb"],
    ["drop then add the same: added", { capDrop: ["NET_RAW"], capAdd: ["NET_RAW"] }, "00000000a80425fb"],
    ["--privileged", { privileged: true, capDrop: ["ALL"] }, "all"],
  ];
  for (const [name, opts, want] of rows) test(name, () => expect(mask(opts)).toBe(want));
});
