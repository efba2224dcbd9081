import { describe, expect, test } from "bun:test";
import { containerArgv, userNamespaceArgv } from "../../../src/sandbox/unshare.ts";

const tools = { unshare: "/usr/bin/unshare", setpriv: "/usr/bin/setpriv" };
const init = ["/k/kiln", "__init", "/rt/spec.json"];

describe("unshare argv", () => {
  const rows: [string, string[], string[]][] = [
    [
      "a command with the host's network: mount, pid (forked, killed with its parent), uts, ipc; no net",
      containerArgv("exec", "host", init, tools),
      ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", "/usr/bin/unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", "--uts", "--ipc", "--", ...init],
    ],
    [
      "network none adds an empty network namespace",
      containerArgv("exec", "none", init, tools),
      ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", "/usr/bin/unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", "--uts", "--ipc", "--net", "--", ...init],
    ],
    [
      "an op needs only a private mount namespace and no fork",
      containerArgv("op", "none", init, tools),
      ["/usr/bin/unshare", "--mount", "--propagation", "private", "--", ...init],
    ],
    [
      "rootless with sub-ids maps the ranges and the caller as root",
      userNamespaceArgv(true, ["/k/kiln", "build", "."], "/usr/bin/unshare"),
      ["/usr/bin/unshare", "--user", "--map-auto", "--map-root-user", "--", "/k/kiln", "build", "."],
    ],
    [
      "rootless without sub-ids maps only the caller",
      userNamespaceArgv(false, ["/k/kiln", "images"], "/usr/bin/unshare"),
      ["/usr/bin/unshare", "--user", "--map-root-user", "--", "/k/kiln", "images"],
    ],
  ];
  for (const [name, got, want] of rows) test(name, () => expect(got).toEqual(want));
});
