// kiln's own cases on contexts of the shared Buildah suite, for the contexts
// it ships without a Dockerfile and for more checks on the others. Modelled
// on the inline Dockerfiles of upstream's Go test (containers/buildah,
// tests/conformance/conformance_test.go, `internalTestCases`: dockerfileContents
// plus a tweakContextDir that writes a .dockerignore), written here as our
// own definitions. As upstream does, the Dockerfile (and .dockerignore) is
// written into a temp copy of the context, so `COPY .` sees them too.
import type { Oracle } from "./cases.ts";
import { hardlinkedFiles, ownedArchive, ownedFiles, setuidArchive, setuidFiles, xattrArchive, xattrFile } from "./context-tweaks.ts";

export interface InlineCase {
  /** Upstream's test name where there is one. */
  name: string;
  /** Context dir inside the Buildah suite (absent: an empty context, plus what `tweak` makes). */
  context?: string;
  /** Makes context contents in code, as upstream's tweakContextDir does (context-tweaks.ts). */
  tweak?: (dir: string) => void | Promise<void>;
  dockerfile: string[];
  /** A .dockerignore written into the context: its lines (joined by \n, no final newline) and file mode. */
  dockerignore?: { lines: string[]; mode: number };
  /** The build must fail at this Dockerfile line, with every builder. */
  failsAt?: number;
  oracle?: Oracle;
  oracleReason?: string;
}

const POPULATED = "dockerignore/populated";
const scratchCopy = (src: string) => ["FROM scratch", `COPY ${src} subdir/`];

/** upstream's dockerignore-* cases: each .dockerignore once with `COPY . subdir/`, once with `COPY * subdir/` (modes as upstream writes them). */
const IGNORES: [string, string[], number, number][] = [
  ["exceptions", ["**/*-a", "!**/*-c"], 0o644, 0o600],
  ["includes", ["!**/*-c"], 0o640, 0o100],
  ["exclude-plain", ["subdir-c"], 0o200, 0o400],
  ["exclude-plain-deep", ["**/subdir-c"], 0o200, 0o400],
  ["exclude-wildcard", ["subdir-*"], 0o000, 0o660],
  ["exclude-deep-wildcard", ["**/subdir-*"], 0o000, 0o660],
  ["exclude-deep-subdir", ["**/subdir-f"], 0o666, 0o640],
  ["exclude-not-so-deep-subdir", ["**/subdir-b"], 0o705, 0o750],
  ["exclude-kind-of-deep-subdir", ["**/subdir-e", "!**/subdir-f"], 0o750, 0o750],
  ["exclude-deep-subdir-exception", ["**/subdir-f", "!**/subdir-g"], 0o750, 0o750],
];

const dockerignoreCases: InlineCase[] = IGNORES.flatMap(([name, lines, dotMode, starMode]) => [
  { name: `dockerignore-${name}-dot`, context: POPULATED, dockerfile: scratchCopy("."), dockerignore: { lines, mode: dotMode } },
  { name: `dockerignore-${name}-star`, context: POPULATED, dockerfile: scratchCopy("*"), dockerignore: { lines, mode: starMode } },
]);

const populatedCases: InlineCase[] = [
  { name: "copy-multiple-some-missing", context: POPULATED, dockerfile: scratchCopy("file-a.txt subdir-a file-z.txt subdir-z"), failsAt: 2 },
  { name: "copy-multiple-missing-file-with-glob", context: POPULATED, dockerfile: scratchCopy("file-z.txt subdir-*"), failsAt: 2 },
  { name: "copy-multiple-missing-file-with-nomatch-on-glob", context: POPULATED, dockerfile: scratchCopy("missing*"), failsAt: 2 },
  { name: "copy-multiple-some-missing-glob", context: POPULATED, dockerfile: scratchCopy("file-a.txt subdir-* file-?.txt missing*") },
  {
    // --from=<stage> ignores that stage's WORKDIR: `.` is the stage's root.
    name: "file-in-workdir-in-other-stage",
    context: POPULATED,
    dockerfile: ["FROM scratch AS base", "COPY . /subdir/", "WORKDIR /subdir", "FROM base", "COPY --from=base . ."],
  },
  ...dockerignoreCases,
];

// The context holds app/storage/{cache/cache_file, views/exception, views/test_file}.
const EXCLUDE_SUBDIR = "dockerignore/exclude_subdir_under_source";
const excludeSubdirCases: InlineCase[] = [
  ["storage-star-exception", ["app/storage/*", "!app/storage/views/exception"]],
  ["storage-dir", ["app/storage"]],
  ["storage-files", ["app/storage/cache", "app/storage/views/test_file"]],
  ["deep-patterns", ["**/cache", "app/storage/views/*", "!**/exception"]],
].map(([name, lines]) => ({
  name: `exclude-subdir-${name as string}`,
  context: EXCLUDE_SUBDIR,
  dockerfile: ["FROM scratch", "COPY app /app"],
  dockerignore: { lines: lines as string[], mode: 0o644 },
}));

const PARENTS_REASON = "COPY --parents (dockerfile 1.7-labs) is refused by Docker 20.10's classic builder and Buildah 1.28; expected files written from the Dockerfile reference (expect-oracle.ts)";
const EXCLUDE_REASON = "COPY --exclude (dockerfile 1.19) is refused by Docker 20.10's classic builder and Buildah 1.28; expected files written from the Dockerfile reference (expect-oracle.ts)";
const parentsCase = (name: string, line: string): InlineCase => ({
  name,
  context: "copy-parents",
  dockerfile: ["FROM scratch", line],
  oracle: "expect",
  oracleReason: PARENTS_REASON,
});
/** The context: x/a.txt, x/{y,z}/{a,b}.txt, y/{a,b}.txt (the Dockerfile reference's own examples). */
const copyParentsCases: InlineCase[] = [
  parentsCase("parents-files", "COPY --parents ./x/a.txt ./y/a.txt /parents/"),
  parentsCase("parents-glob", "COPY --parents x/*/a.txt /out/"),
  parentsCase("parents-dot-slash", "COPY --parents ./x/./y/*.txt /parents/"),
  parentsCase("parents-dir", "COPY --parents y /out/"),
  // The reference's counterpart without --parents, which Docker 20.10 can build.
  { name: "no-parents", context: "copy-parents", dockerfile: ["FROM scratch", "COPY ./x/a.txt ./y/b.txt /no_parents/"] },
  // --exclude (dockerfile 1.19): Docker 20.10 and Buildah 1.28 lack it too.
  ...[
    ["exclude-dir", "COPY --exclude=y x /ex/"],
    ["exclude-glob", "COPY --exclude=x/y --exclude=x/a.txt x/* /ex/"],
    ["exclude-bang", "COPY --exclude=*/*.txt --exclude=!y/a.txt x /ex/"],
    ["exclude-parents", "COPY --parents --exclude=**/b.txt x /p/"],
  ].map(([name, line]) => ({ ...parentsCase(name!, line!), oracleReason: EXCLUDE_REASON })),
];

/** upstream's env-* cases: ENV quoting and escapes, on the `copy` context. */
const ENVS: [string, string[], number?][] = [
  ["env-whitespace", ["ENV name value"]],
  ["env-simple", ["ENV name=value"]],
  ["env-unquoted-list", ["ENV name=value name2=value2"]],
  ["env-dquoted-list", ['ENV name="value value1"']],
  ["env-escaped-value", ["ENV name=value\\ value2"]],
  ["env-squote-in-dquote", [`ENV name="value'quote space'value2"`]],
  ["env-dquote-in-squote", [`ENV name='value"double quote"value2'`]],
  ["env-escaped-list", ["ENV name=value\\ value2 name2=value2\\ value3"]],
  ["env-eddquote", ['ENV name="a\\"b"']],
  ["env-invalid-ssquote", ["ENV name='a\\'b'"], 3],
  ["env-esdquote", [`ENV name="a\\'b"`]],
  ["env-essquote", ["ENV name='a\\'b''"]],
  ["env-edsquote", [`ENV name='a\\"b'`]],
  ["env-empty-squote-in-empty-dquote", [`ENV name="''"`]],
  [
    "env-multiline",
    [
      "# don't put anything after the next line - it must be the last line of the",
      "# Dockerfile and it must end with \\",
      "ENV name=value \\",
      "    name1=value1 \\",
      '    name2="value2a \\',
      '           value2b" \\',
      '    name3="value3a\\n\\"value3b\\"" \\',
      '        name4="value4a\\\\nvalue4b" \\',
    ],
  ],
];
const envCases: InlineCase[] = ENVS.map(([name, lines, failsAt]) => ({ name, context: "copy", dockerfile: ["FROM scratch", "COPY script .", ...lines], failsAt }));

const TOUCH = "touch -t @1485449953";
/** upstream's cases on owners, special mode bits and stages (bases renamed to mirror.gcr.io/*, digests dropped). */
const ownerCases: InlineCase[] = [
  { name: "copy-permissions", tweak: ownedFiles, dockerfile: ["FROM scratch", "# Does COPY --chown change permissions on already-present directories?", "COPY subdir/ subdir/", "COPY --chown=99:99 subdir/ subdir/"] },
  { name: "copy-permissions-implicit", tweak: ownedFiles, dockerfile: ["FROM scratch", "# Does COPY --chown change permissions on already-present directories?", "COPY --chown=99:99 subdir/ subdir/", "COPY subdir/ subdir/"] },
  { name: "add-permissions", tweak: ownedArchive, dockerfile: ["FROM scratch", "# Does ADD preserve permissions differently for archives and files?", "ADD archive.tar subdir1/", "ADD archive/ subdir2/"] },
  { name: "setuid-file-in-context", tweak: setuidFiles, dockerfile: ["FROM scratch", "# Does the setuid file (04000) in the context dir end up setuid in the image?", "COPY . subdir1", "ADD  . subdir2"] },
  { name: "setuid-file-in-archive", tweak: setuidArchive, dockerfile: ["FROM scratch", "# Do the setuid/setgid/sticky files in this archive end up setuid(04000)/setgid(02000)/sticky(01000)?", "ADD archive.tar ."] },
  {
    name: "setuid-file-in-other-stage",
    dockerfile: [
      "FROM mirror.gcr.io/busybox",
      `RUN mkdir /a && echo whatever > /a/setuid && chmod u+xs /a/setuid && ${TOUCH} /a/setuid`,
      `RUN mkdir /b && echo whatever > /b/setgid && chmod g+xs /b/setgid && ${TOUCH} /b/setgid`,
      `RUN mkdir /c && echo whatever > /c/sticky && chmod o+x /c/sticky && chmod +t /c/sticky && ${TOUCH} /c/sticky`,
      "FROM scratch",
      "# Does this setuid/setgid/sticky file copied from another stage end up setuid/setgid/sticky (04000/02000/01000)?",
      "COPY --from=0 /a/setuid /b/setgid /c/sticky /",
    ],
  },
  { name: "xattrs-file-in-context", tweak: xattrFile, dockerfile: ["FROM scratch", "# Do the xattrs on a file in the context dir end up in the image?", "COPY . subdir1", "ADD  . subdir2"] },
  { name: "xattrs-file-in-archive", tweak: xattrArchive, dockerfile: ["FROM scratch", "# Do the xattrs on a file in an archive end up in the image?", "ADD archive.tar ."] },
  { name: "xattrs-file-in-other-stage", tweak: xattrFile, dockerfile: ["FROM scratch", "COPY . .", "FROM scratch", "# Do the xattrs on a file in another stage end up in the image?", "COPY --from=0 /xattrs-file /"] },
  {
    name: "stage-container-as-source-plus-hardlinks",
    dockerfile: [
      "FROM mirror.gcr.io/busybox AS build", "RUN mkdir -p /target/subdir", "RUN cp -p /etc/passwd /target/",
      "RUN ln /target/passwd /target/subdir/passwd", "RUN ln /target/subdir/passwd /target/subdir/passwd2",
      "FROM scratch", "COPY --from=build /target/subdir /subdir",
    ],
  },
  // kiln's own: hard links in the build context, by what the COPY names.
  { name: "hardlinks-in-context-dot", tweak: hardlinkedFiles, dockerfile: ["FROM scratch", "COPY . /all/"] },
  { name: "hardlinks-in-context-dir", tweak: hardlinkedFiles, dockerfile: ["FROM scratch", "COPY hl /hl/"] },
  { name: "hardlinks-in-context-files", tweak: hardlinkedFiles, dockerfile: ["FROM scratch", "COPY hl/a hl/b top /files/"] },
  { name: "hardlinks-in-context-two-dirs", tweak: hardlinkedFiles, dockerfile: ["FROM scratch", "COPY hl other /two/"] },
  { name: "hardlinks-in-context-first-ignored", tweak: hardlinkedFiles, dockerignore: { lines: ["hl/a"], mode: 0o644 }, dockerfile: ["FROM scratch", "COPY hl /hl/", "COPY top /top"] },
  { name: "hardlinks-in-context-glob", tweak: hardlinkedFiles, dockerfile: ["FROM scratch", "COPY h* oth* /g/"] },
  {
    name: "hardlinks-from-stage-two-sources",
    tweak: hardlinkedFiles,
    dockerfile: ["FROM scratch AS s", "COPY . /", "FROM scratch", "COPY --from=s /hl /other /top /x/"],
  },
  { name: "multi-stage-through-base", dockerfile: ["FROM mirror.gcr.io/alpine AS base", `RUN ${TOUCH} /1`, "ENV LOCAL=/1", "RUN find $LOCAL", "FROM base", "RUN find $LOCAL"] },
  {
    name: "multi-stage-derived",
    dockerfile: ["FROM mirror.gcr.io/busybox as layer", "RUN touch /root/layer", "FROM layer as derived", `RUN ${TOUCH} /root/derived ; rm /root/layer`, "FROM mirror.gcr.io/busybox AS output", "COPY --from=layer /root /root"],
  },
  { name: "copy-from-owner", dockerfile: ["FROM mirror.gcr.io/alpine", `RUN set -ex; ${TOUCH} /test; chown 65:65 /test`, "FROM scratch", "USER 66:66", "COPY --from=0 /test /test"] },
  { name: "copy-from-owner-with-chown", dockerfile: ["FROM mirror.gcr.io/alpine", `RUN set -ex; ${TOUCH} /test; chown 65:65 /test`, "FROM scratch", "USER 66:66", "COPY --from=0 --chown=1:1 /test /test"] },
  { name: "copy-for-user", context: "copy", dockerfile: ["FROM mirror.gcr.io/alpine", "USER 66:66", "COPY /script /script"] },
  { name: "copy-for-user-with-chown", context: "copy", dockerfile: ["FROM mirror.gcr.io/alpine", "USER 66:66", "COPY --chown=1:1 /script /script"] },
  {
    name: "ci-pipeline-modified",
    dockerfile: ["FROM mirror.gcr.io/busybox", "WORKDIR /go/src/github.com/openshift/ocp-release-operator-sdk/", "ENV GOPATH=/go", "RUN env | grep -E -v '^(HOSTNAME|OLDPWD)=' | LANG=C sort | tee /env-contents.txt\n"],
  },
  { name: "workdir-with-trailing-separator", dockerfile: ["FROM mirror.gcr.io/busybox", "USER daemon", "WORKDIR /tmp/"] },
  { name: "workdir-without-trailing-separator", dockerfile: ["FROM mirror.gcr.io/busybox", "USER daemon", "WORKDIR /tmp"] },
];

export const INLINE_CASES: InlineCase[] = [
  ...ownerCases,
  ...populatedCases,
  ...excludeSubdirCases,
  ...copyParentsCases,
  ...envCases,
  { name: "copy-from-subdir-to-new-directory", context: "copydir", dockerfile: ["FROM scratch", "COPY dir/file /subdir/"] },
];
