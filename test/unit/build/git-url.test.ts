// Docker's rules for which contexts/ADD sources are Git repositories, how
// `#REF:SUBDIR` splits, and credentials hidden in messages.
import { describe, expect, test } from "bun:test";
import { isGitUrl, isRemoteContext, parseGitUrl, redactUrls, stripCredentials } from "../../../src/build/git-url.ts";

describe("isGitUrl / isRemoteContext", () => {
  // input, git?, remote context?
  const rows: [string, boolean, boolean][] = [
    ["https://github.com/moby/buildkit.git", true, true],
    ["https://github.com/moby/buildkit.git#v0.10.1", true, true],
    ["http://host/repo.git#main:docker", true, true],
    ["git://host/repo", true, true],
    ["git@github.com:moby/buildkit", true, true],
    ["ssh://git@host/repo", true, true],
    ["github.com/moby/buildkit", true, true],
    ["https://host/context.tar.gz", false, true],
    ["https://host/repo.git/Dockerfile", false, true],
    ["https://host/repo.github", false, true],
    ["./repo.git", false, false],
    ["dir", false, false],
    ["-", false, false],
  ];
  for (const [input, git, remote] of rows) {
    test(`${input}: git ${git}, remote ${remote}`, () => {
      expect(isGitUrl(input)).toBe(git);
      expect(isRemoteContext(input)).toBe(remote);
    });
  }
});

describe("parseGitUrl", () => {
  const rows: [string, string, string, string][] = [
    ["https://github.com/moby/buildkit.git", "https://github.com/moby/buildkit.git", "", ""],
    ["https://github.com/moby/buildkit.git#v0.10.1", "https://github.com/moby/buildkit.git", "v0.10.1", ""],
    ["git://host/repo.git#main:docker/ctx/", "git://host/repo.git", "main", "docker/ctx"],
    ["git://host/repo.git#:sub", "git://host/repo.git", "", "sub"],
    ["git@github.com:moby/buildkit.git#abc123", "git@github.com:moby/buildkit.git", "abc123", ""],
    ["github.com/moby/buildkit#master:frontend", "https://github.com/moby/buildkit", "master", "frontend"],
  ];
  for (const [input, remote, ref, subdir] of rows) {
    test(input, () => {
      expect(parseGitUrl(input)).toEqual({ spec: input, remote, ref, subdir });
    });
  }

  const refused: [string, RegExp][] = [
    ["git://host/repo.git#--upload-pack=evil", /invalid refspec/],
    ["git://host/repo.git#main:../up", /leaves the repository/],
  ];
  for (const [input, message] of refused) {
    test(`refused: ${input}`, () => {
      expect(() => parseGitUrl(input)).toThrow(message);
    });
  }
});

describe("redactUrls", () => {
  const rows: [string, string][] = [
    ["fetching https://user:pass@host/r.git failed", "fetching https://xxxxx@host/r.git failed"],
    ["https://ghp_token@github.com/o/r.git", "https://xxxxx@github.com/o/r.git"],
    ["ssh://git:secret@host/r", "ssh://git:xxxxx@host/r"],
    ["ssh://git@host/r", "ssh://git@host/r"],
    ["git@github.com:o/r.git", "git@github.com:o/r.git"],
    ["two: http://a:b@x/ and git://c:d@y/", "two: http://xxxxx@x/ and git://c:xxxxx@y/"],
  ];
  for (const [input, shown] of rows) {
    test(input, () => {
      expect(redactUrls(input)).toBe(shown);
    });
  }
});

describe("stripCredentials", () => {
  const rows: [string, string][] = [
    ["https://user:pass@host/r.git", "https://host/r.git"],
    ["http://token@host/r.git", "http://host/r.git"],
    ["ssh://git:secret@host/r", "ssh://git@host/r"],
    ["ssh://git@host/r", "ssh://git@host/r"],
    ["git@github.com:o/r.git", "git@github.com:o/r.git"],
    ["git://host/r.git", "git://host/r.git"],
  ];
  for (const [input, stripped] of rows) {
    test(input, () => {
      expect(stripCredentials(input)).toBe(stripped);
    });
  }
});
