// The per-case output check (upstream's regex over the build output, with
// whitespace collapsed) on the two cases that have one, against outputs of
// the shape Buildah and kiln print.
import { describe, expect, test } from "bun:test";
import { BUILDAH_NOTES, type Case } from "./cases.ts";
import { outputMismatch } from "./run-case.ts";

const caseFor = (rel: string): Case => ({ name: rel, suite: "buildah", context: "", dockerfile: "Dockerfile", oracle: "buildah", outputMatches: BUILDAH_NOTES[rel]!.outputMatches });

describe("differential output check", () => {
  const rows: [string, string, string, boolean][] = [
    ["mount: both files stat'ed", "mount/Dockerfile", "STEP 2/2: RUN stat …\n2 /tmp/test/file 644 regular file 0 0\n3 /tmp/test/file2 644 regular file 0 0\nCOMMIT", true],
    ["mount: the mount missing", "mount/Dockerfile", "stat: can't stat '/tmp/test/*': No such file or directory", false],
    ["mount: only one file", "mount/Dockerfile", "2 /tmp/test/file 644 regular file 0 0", false],
    ["transientmount: ls and the file's lines, across newlines", "transientmount/Dockerfile", "file2\n ---> x\nStep 3/3 : RUN cat /mountfile\nFROM mirror.gcr.io/busybox\nENV   name value\n", true],
    ["transientmount: the file not mounted", "transientmount/Dockerfile", "file2\ncat: can't open '/mountfile': No such file or directory", false],
  ];
  for (const [name, rel, output, passes] of rows) {
    test(name, () => {
      const why = outputMismatch(caseFor(rel), output);
      if (passes) expect(why).toBeUndefined();
      else expect(why).toContain("does not match");
    });
  }
  test("a case without a check always passes", () => expect(outputMismatch({ ...caseFor("mount/Dockerfile"), outputMatches: undefined }, "")).toBeUndefined());
});
