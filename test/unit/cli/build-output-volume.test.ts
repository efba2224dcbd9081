// kiln build -o (buildx's syntax) and -v (buildah bud -v): what each value
// parses to, and the values refused with a usage error.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { parseBuildOutput, parseBuildOutputs } from "../../../src/cli/commands/_build-output.ts";
import { parseBuildVolume } from "../../../src/cli/commands/_build-volume.ts";
import { tempDir } from "../../harness.ts";

const cwd = tempDir("build-opts");
mkdirSync(cwd.join("dir"));
writeFileSync(cwd.join("file"), "x");
afterAll(() => cwd[Symbol.dispose]());
const at = (p: string) => cwd.join(p);

describe("kiln build -o", () => {
  const rows: [string, string, unknown][] = [
    ["type=local with a relative dest", "type=local,dest=out", { type: "local", dest: at("out") }],
    ["type=local into an existing dir", "type=local,dest=dir", { type: "local", dest: at("dir") }],
    ["type=local with an absolute dest", "type=local,dest=/abs/out", { type: "local", dest: "/abs/out" }],
    ["type=tar to a file", "type=tar,dest=fs.tar", { type: "tar", dest: at("fs.tar") }],
    ["type=tar to stdout", "type=tar,dest=-", { type: "tar", dest: "-" }],
    ["shorthand DIR", "out", { type: "local", dest: at("out") }],
    ["shorthand - is a tar on stdout", "-", { type: "tar", dest: "-" }],
    ["a one-field value not starting with type= is a dir (as buildx)", "dest=x", { type: "local", dest: at("dest=x") }],
    ["type=oci with dest", "type=oci,dest=img.tar", { type: "archive", format: "oci-archive", dest: at("img.tar") }],
    ["type=docker with dest", "type=docker,dest=img.tar", { type: "archive", format: "docker-archive", dest: at("img.tar") }],
    ["type=oci to stdout", "type=oci,dest=-", { type: "archive", format: "oci-archive", dest: "-" }],
    ["type=docker without dest is the store image", "type=docker", { type: "image", names: [] }],
    ["type=image", "type=image", { type: "image", names: [] }],
    ["type=image with quoted names", 'type=image,"name=a:1,b:2"', { type: "image", names: ["a:1", "b:2"] }],
    ["keys are case-insensitive (as buildx)", "TYPE=local,DEST=out", { type: "local", dest: at("out") }],
  ];
  for (const [name, spec, want] of rows) test(name, () => expect(parseBuildOutput(spec, cwd.path)).toEqual(want as never));

  const bad: [string, string, RegExp][] = [
    ["an unknown type", "type=registry,ref=x", /type=registry is not supported/],
    ["local without dest", "type=local", /type=local needs dest=/],
    ["tar without dest", "type=tar", /type=tar needs dest=/],
    ["oci without dest", "type=oci", /type=oci needs dest=/],
    ["local to stdout", "type=local,dest=-", /cannot write to stdout/],
    ["local dest is a file", "type=local,dest=file", /exists and is not a directory/],
    ["shorthand dest is a file", "file", /exists and is not a directory/],
    ["an attribute the type lacks", "type=tar,dest=x,compression=gzip", /has no attribute "compression"/],
    ["a field that is not KEY=VALUE", "type=tar,x", /is not KEY=VALUE/],
    ["no type", "dest=a,b=c", /type=… is required/],
    ["empty", "", /empty value/],
    ["name= with an archive", "type=oci,dest=x,name=a", /takes the image's names from -t/],
  ];
  for (const [name, spec, re] of bad) test(`refused: ${name}`, () => expect(() => parseBuildOutput(spec, cwd.path)).toThrow(re));

  test("two outputs to stdout are refused", () => expect(() => parseBuildOutputs(["-", "type=oci,dest=-"], cwd.path)).toThrow(/only one --output can write to stdout/));
  test("several outputs", () => expect(parseBuildOutputs(["out", "type=tar,dest=-"], cwd.path).map((o) => o.type)).toEqual(["local", "tar"]));
});

describe("kiln build -v", () => {
  const rows: [string, string, unknown][] = [
    ["relative host dir, rw by default", "dir:/mnt", { source: at("dir"), target: "/mnt" }],
    ["ro", "dir:/mnt:ro", { source: at("dir"), target: "/mnt", readonly: true }],
    ["rw", "dir:/mnt:rw", { source: at("dir"), target: "/mnt" }],
    ["a file", "file:/etc/x", { source: at("file"), target: "/etc/x" }],
    ["absolute host path", `${at("dir")}:/mnt`, { source: at("dir"), target: "/mnt" }],
    ["the target is cleaned", "dir:/a/../b//c/", { source: at("dir"), target: "/b/c" }],
    ["SELinux and propagation options are accepted", "dir:/mnt:ro,Z,rshared", { source: at("dir"), target: "/mnt", readonly: true }],
  ];
  for (const [name, spec, want] of rows) test(name, () => expect(parseBuildVolume(spec, cwd.path)).toEqual(want as never));

  const bad: [string, string, RegExp][] = [
    ["a missing host path", "nope:/mnt", /nope does not exist/],
    ["no container path", "dir", /invalid --volume/],
    ["an empty host path", ":/mnt", /invalid --volume/],
    ["a relative container path", "dir:mnt", /must be absolute/],
    ["an unknown option", "dir:/mnt:fast", /unknown option "fast"/],
    ["too many fields", "dir:/mnt:ro:x", /invalid --volume/],
  ];
  for (const [name, spec, re] of bad) test(`refused: ${name}`, () => expect(() => parseBuildVolume(spec, cwd.path)).toThrow(re));
});
