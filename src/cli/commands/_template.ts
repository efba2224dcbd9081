import { UsageError } from "../../errors.ts";

// A subset of Go's text/template, enough for Docker's --format strings:
// {{.Field.Sub}}, {{.}}, {{json .X}}, {{.X | json}}, {{index .Map "k"}},
// {{join .List ", "}}, {{upper}}/{{lower}}/{{title}}, {{len}}, {{println}},
// {{range .List}}…{{end}}, {{if .X}}…{{else}}…{{end}}, and {{- -}} trimming.

type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipeline: string }
  | { kind: "range" | "if"; pipeline: string; body: Node[]; otherwise: Node[] };

type Value = unknown;

/** Go's %v for the values kiln renders: nil → <no value>, slices → [a b], maps → map[k:v]. */
export function goString(v: Value): string {
  if (v === undefined) return "<no value>";
  if (v === null) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goString).join(" ")}]`;
  if (typeof v === "object") {
    const keys = Object.keys(v as object).sort();
    return `map[${keys.map((k) => `${k}:${goString((v as Record<string, Value>)[k])}`).join(" ")}]`;
  }
  return String(v);
}

/** JSON as Go's encoding/json writes it: compact, with <, > and & escaped. */
export function goJson(v: Value): string {
  const s = JSON.stringify(v ?? null) ?? "null";
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function isTruthy(v: Value): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === "object") return Object.keys(v).length > 0;
  return Boolean(v);
}

const FUNCS: Record<string, (...args: Value[]) => Value> = {
  json: (v) => goJson(v),
  index: (v, ...keys) => keys.reduce<Value>((acc, k) => (acc as Record<string, Value> | undefined)?.[k as string], v),
  join: (list, sep) => (Array.isArray(list) ? list.map(goString).join(String(sep)) : goString(list)),
  upper: (s) => goString(s).toUpperCase(),
  lower: (s) => goString(s).toLowerCase(),
  title: (s) => goString(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  len: (v) => (Array.isArray(v) || typeof v === "string" ? v.length : v && typeof v === "object" ? Object.keys(v).length : 0),
  println: (...a) => `${a.map(goString).join(" ")}\n`,
};

function parse(template: string): Node[] {
  const root: Node[] = [];
  const stack: { node: Extract<Node, { body: Node[] }>; inElse: boolean }[] = [];
  const target = (): Node[] => {
    const top = stack[stack.length - 1];
    return top ? (top.inElse ? top.node.otherwise : top.node.body) : root;
  };
  const re = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;
  let last = 0;
  let trimNext = false;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    let text = template.slice(last, m.index);
    if (trimNext) text = text.trimStart();
    if (m[1]) text = text.trimEnd();
    if (text) target().push({ kind: "text", text });
    trimNext = Boolean(m[3]);
    last = re.lastIndex;
    const action = m[2]!.trim();
    const word = action.split(/\s+/, 1)[0]!;
    if (word === "range" || word === "if") {
      const node = { kind: word, pipeline: action.slice(word.length).trim(), body: [], otherwise: [] } as Extract<Node, { body: Node[] }>;
      target().push(node);
      stack.push({ node, inElse: false });
    } else if (word === "else") {
      const top = stack[stack.length - 1];
      if (!top) throw new UsageError(`template: unexpected {{else}}`);
      top.inElse = true;
    } else if (word === "end") {
      if (!stack.pop()) throw new UsageError(`template: unexpected {{end}}`);
    } else target().push({ kind: "action", pipeline: action });
  }
  if (stack.length > 0) throw new UsageError(`template: unexpected EOF: missing {{end}}`);
  const tail = template.slice(last);
  if (tail) root.push({ kind: "text", text: trimNext ? tail.trimStart() : tail });
  return root;
}

function operand(word: string, dot: Value): Value {
  if (word === ".") return dot;
  if (word.startsWith(".")) {
    return word
      .slice(1)
      .split(".")
      .reduce<Value>((acc, k) => (acc && typeof acc === "object" ? (acc as Record<string, Value>)[k] : undefined), dot);
  }
  if (/^".*"$/.test(word)) return JSON.parse(word);
  if (/^-?\d+$/.test(word)) return Number(word);
  if (word === "true" || word === "false") return word === "true";
  throw new UsageError(`template: function "${word}" not defined`, { hint: `kiln knows: ${Object.keys(FUNCS).join(", ")}` });
}

function evalPipeline(pipeline: string, dot: Value): Value {
  let result: Value;
  let first = true;
  for (const command of pipeline.split("|")) {
    const words = command.trim().match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
    const fn = words[0] !== undefined ? FUNCS[words[0]] : undefined;
    const args = words.slice(fn ? 1 : 0).map((w) => operand(w, dot));
    if (!first) args.push(result);
    if (fn) result = fn(...args);
    else if (args.length === 1) result = args[0];
    else throw new UsageError(`template: cannot evaluate "${command.trim()}"`);
    first = false;
  }
  return result;
}

function render(nodes: Node[], dot: Value): string {
  let out = "";
  for (const n of nodes) {
    if (n.kind === "text") out += n.text;
    else if (n.kind === "action") out += goString(evalPipeline(n.pipeline, dot));
    else {
      const v = evalPipeline(n.pipeline, dot);
      if (n.kind === "if") out += render(isTruthy(v) ? n.body : n.otherwise, dot);
      else if (!isTruthy(v)) out += render(n.otherwise, dot);
      else for (const item of Array.isArray(v) ? v : Object.values(v as object)) out += render(n.body, item);
    }
  }
  return out;
}

/** Compile a Go-style template once; apply it to many values. */
export function compileTemplate(template: string): (dot: Value) => string {
  const nodes = parse(template);
  return (dot) => render(nodes, dot);
}
