// Which images a Dockerfile's FROM lines pull, with stage names and `$VAR`
// defaults resolved the way a build without --build-arg resolves them. Used
// only to decide whether a case's base can be had here; the builders parse
// the Dockerfile themselves.

/** Expand `$X`, `${X}`, `${X:-d}`, `${X-d}`, `${X:+v}` against `vars` (unset → ""). */
export function expandDefaults(word: string, vars: Record<string, string>): string {
  return word.replace(/\$\{(\w+)(?:(:?[-+])([^}]*))?\}|\$(\w+)/g, (_m, name, op, arg, bare) => {
    const key = (name ?? bare) as string;
    const value = vars[key];
    if (op === ":-") return value ? value : arg;
    if (op === "-") return value === undefined ? arg : value;
    if (op === ":+") return value ? arg : "";
    if (op === "+") return value === undefined ? "" : arg;
    return value ?? "";
  });
}

/** Docker's short-name rule for comparing references: add `:latest` when there is no tag or digest. */
export function withTag(ref: string): string {
  const last = ref.slice(ref.lastIndexOf("/") + 1);
  return ref.includes("@") || last.includes(":") ? ref : `${ref}:latest`;
}

/** Logical lines of a Dockerfile: continuations joined, comments and blank lines dropped. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*#/.test(raw) && cur === "") continue;
    if (raw.endsWith("\\")) {
      cur += raw.slice(0, -1);
      continue;
    }
    cur += raw;
    if (cur.trim()) out.push(cur.trim());
    cur = "";
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Images (normalised with a tag) named by FROM lines, excluding earlier stages and `scratch`. */
export function fromImages(text: string): string[] {
  const metaArgs: Record<string, string> = {};
  const stages = new Set<string>();
  const images: string[] = [];
  let seenFrom = false;
  for (const line of logicalLines(text)) {
    const [instr, ...rest] = line.split(/\s+/);
    const kw = instr!.toUpperCase();
    if (kw === "ARG" && !seenFrom) {
      for (const a of rest) {
        const eq = a.indexOf("=");
        if (eq > 0) metaArgs[a.slice(0, eq)] = a.slice(eq + 1).replace(/^"(.*)"$/, "$1");
      }
    }
    if (kw !== "FROM") continue;
    seenFrom = true;
    const words = rest.filter((w) => !w.startsWith("--"));
    const ref = expandDefaults(words[0] ?? "", metaArgs);
    // Only stages declared earlier count: `FROM x AS x` pulls the image x.
    const isStage = ref === "scratch" || stages.has(ref.toLowerCase()) || /^\d+$/.test(ref);
    if (words[1]?.toUpperCase() === "AS" && words[2]) stages.add(words[2].toLowerCase());
    if (!isStage) images.push(withTag(ref));
  }
  return [...new Set(images)];
}
