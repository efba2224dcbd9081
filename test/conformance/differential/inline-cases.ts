// kiln's own cases on contexts of the shared Buildah suite, for the contexts
// it ships without a Dockerfile and for more checks on the others. Modelled
// on the inline Dockerfiles of upstream's Go test (containers/buildah,
// tests/conformance/conformance_test.go, `internalTestCases`: dockerfileContents
// plus a tweakContextDir that writes a .dockerignore), written here as our
// own definitions. As upstream does, the Dockerfile (and .dockerignore) is
// written into a temp copy of the context, so `COPY .` sees them too.
import type { Oracle } from "./cases.ts";

export interface InlineCase {
  /** Upstream's test name where there is one. */
  name: string;
  /** Context dir inside the Buildah suite. */
  context: string;
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

export const INLINE_CASES: InlineCase[] = [
  ...populatedCases,
  ...excludeSubdirCases,
  ...copyParentsCases,
  ...envCases,
  { name: "copy-from-subdir-to-new-directory", context: "copydir", dockerfile: ["FROM scratch", "COPY dir/file /subdir/"] },
];
