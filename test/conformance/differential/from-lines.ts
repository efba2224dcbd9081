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

/** Logical lines of a Dockerfile with the line each starts on: continuations joined, comments and blank lines dropped (also inside continuations). */
export function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let cur = "";
  let start = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*#/.test(raw) || (cur !== "" && raw.trim() === "")) return;
    if (cur === "") start = i + 1;
    if (raw.endsWith("\\")) {
      cur += raw.slice(0, -1);
      return;
    }
    cur += raw;
    if (cur.trim()) out.push({ line: start, text: cur.trim() });
    cur = "";
  });
  if (cur.trim()) out.push({ line: start, text: cur.trim() });
  return out;
}

/** Images (normalised with a tag) named by FROM lines, excluding earlier stages and `scratch`; `buildArgs` override declared meta ARGs. */
export function fromImages(text: string, buildArgs: Record<string, string> = {}): string[] {
  const metaArgs: Record<string, string> = {};
  const stages = new Set<string>();
  const images: string[] = [];
  let seenFrom = false;
  for (const { text: line } of logicalLines(text)) {
    const [instr, ...rest] = line.split(/\s+/);
    const kw = instr!.toUpperCase();
    if (kw === "ARG" && !seenFrom) {
      for (const a of rest) {
        const eq = a.indexOf("=");
        const name = eq > 0 ? a.slice(0, eq) : a;
        const value = buildArgs[name] ?? (eq > 0 ? a.slice(eq + 1).replace(/^"(.*)"$/, "$1") : undefined);
        if (value !== undefined) metaArgs[name] = value;
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
