// `RUN --mount=type=cache,target=/root/.cache,sharing=locked`: CSV fields of
// key=value (plus bare ro/rw/required), validated per mount type as BuildKit's
// commands_runmount.go does. Lowering parses with the values as written (a
// value holding `$` is checked later); expandInstruction() parses again with
// every value expanded by the step's environment.
import { closest } from "../util/suggest.ts";
import { parseRamInBytes } from "./_units.ts";
import type { MountSharing, MountType, RunMount } from "./instructions.ts";

const MOUNT_TYPES: readonly MountType[] = ["bind", "cache", "tmpfs", "secret", "ssh"];
const SHARING: readonly MountSharing[] = ["shared", "private", "locked"];
const KEYS = [
  "type", "from", "source", "src", "target", "dst", "destination", "readonly", "ro", "readwrite", "rw",
  "required", "size", "id", "sharing", "mode", "uid", "gid", "env",
];

const didYouMean = (word: string, options: Iterable<string>): string => {
  const guess = closest(word, options);
  return guess ? ` (did you mean ${guess}?)` : "";
};

/** Go's encoding/csv on one line: quoted fields with "" for a quote. */
export function splitCsvLine(line: string): string[] {
  if (line === "") throw new Error("EOF");
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('extraneous or missing " in quoted-field');
        field += line.slice(i, q);
        i = q + 1;
        if (line[i] === '"') {
          field += '"';
          i++;
        } else if (i === line.length || line[i] === ",") break;
        else throw new Error('extraneous or missing " in quoted-field');
      }
    } else {
      const comma = line.indexOf(",", i);
      field = line.slice(i, comma < 0 ? line.length : comma);
      if (field.includes('"')) throw new Error('bare " in non-quoted-field');
      i = comma < 0 ? line.length : comma;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
    if (i === line.length) {
      fields.push("");
      return fields;
    }
  }
}

function parseBool(key: string, value: string): boolean {
  // Go's strconv.ParseBool.
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  throw new Error(`invalid value for ${key}: ${value}`);
}

function parseUint(value: string, radix: 8 | 10, what: string): number {
  const re = radix === 8 ? /^[0-7]+$/ : /^\d+$/;
  const n = re.test(value) ? Number.parseInt(value, radix) : NaN;
  if (!Number.isFinite(n) || n > 0xffffffff) throw new Error(`invalid value ${value} for ${what}`);
  return n;
}

/**
 * Parse one --mount value. With `expand`, every value is expanded first and
 * fully checked; without, values containing `$` are kept as written and
 * their checks wait for expansion. Throws plain Errors (the caller locates them).
 */
export function parseMount(raw: string, expand?: (word: string) => string): RunMount {
  let fields: string[];
  try {
    fields = splitCsvLine(raw);
  } catch (err) {
    throw new Error(`failed to parse csv mounts: ${(err as Error).message}`);
  }
  const m: RunMount = { type: "bind", readOnly: false, raw };
  let roAuto = true;
  let typeDeferred = false;
  for (const field of fields) {
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === "readonly" || key === "ro" || key === "readwrite" || key === "rw") {
        m.readOnly = key === "readonly" || key === "ro";
        roAuto = false;
      } else if (key === "required" && (m.type === "secret" || m.type === "ssh" || typeDeferred)) m.required = true;
      else if (key === "required") throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    let value = field.slice(eq + 1);
    if (key === "from" && !expand && /\$./.test(value)) throw new Error(`'${key}' doesn't support variable expansion, define alias stage instead`);
    if (expand) value = expand(value);
    else if (value.includes("$")) {
      // Checked once expanded; keep what is written for the plain string fields.
      if (key === "type") typeDeferred = true;
      if (!KEYS.includes(key)) throw new Error(`unexpected key '${key}' in '${field}'${didYouMean(key, KEYS)}`);
      assignString(m, key, value);
      continue;
    }
    switch (key) {
      case "type": {
        const t = value.toLowerCase() as MountType;
        if (!MOUNT_TYPES.includes(t)) throw new Error(`unsupported mount type "${value}"${didYouMean(value, MOUNT_TYPES)}`);
        m.type = t;
        break;
      }
      case "readonly":
      case "ro":
        m.readOnly = parseBool(key, value);
        roAuto = false;
        break;
      case "readwrite":
      case "rw":
        m.readOnly = !parseBool(key, value);
        roAuto = false;
        break;
      case "required":
        if (m.type !== "secret" && m.type !== "ssh" && !typeDeferred) throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = parseBool(key, value);
        break;
      case "size":
        if (m.type !== "tmpfs" && !typeDeferred) throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        try {
          m.size = parseRamInBytes(value);
        } catch {
          throw new Error(`invalid value for ${key}: ${value}`);
        }
        break;
      case "sharing": {
        const s = value.toLowerCase() as MountSharing;
        if (!SHARING.includes(s)) throw new Error(`unsupported sharing value "${value}"${didYouMean(value, SHARING)}`);
        m.sharing = s;
        break;
      }
      case "mode":
        m.mode = parseUint(value, 8, "mode");
        break;
      case "uid":
        m.uid = parseUint(value, 10, "uid");
        break;
      case "gid":
        m.gid = parseUint(value, 10, "gid");
        break;
      default:
        if (!assignString(m, key, value)) throw new Error(`unexpected key '${key}' in '${field}'${didYouMean(key, KEYS)}`);
    }
  }
  if (!typeDeferred) validateMount(m, roAuto);
  return m;
}

function assignString(m: RunMount, key: string, value: string): boolean {
  if (key === "from") m.from = value;
  else if (key === "source" || key === "src") m.source = value;
  else if (key === "target" || key === "dst" || key === "destination") m.target = value;
  else if (key === "id") m.id = value;
  else if (key === "env") m.env = value;
  else return false;
  return true;
}

function validateMount(m: RunMount, roAuto: boolean): void {
  if (m.type !== "secret" && m.type !== "ssh" && m.type !== "cache") {
    for (const k of ["mode", "uid", "gid"] as const) if (m[k] !== undefined) throw new Error(`${k} not allowed for "${m.type}" type mounts`);
  }
  // Cache and tmpfs mounts are writable unless told otherwise; the others read-only.
  if (roAuto) m.readOnly = !(m.type === "cache" || m.type === "tmpfs");
  if (m.type === "secret") {
    if (m.from !== undefined && m.from !== "") throw new Error("secret mount should not have a from");
    if (m.sharing) throw new Error("secret mount should not define sharing");
    if (!m.source && !m.target && !m.id && !m.env) throw new Error("invalid secret mount. one of source, target required");
    if (m.source && m.id) throw new Error("both source and id can't be set");
  }
  if (m.sharing && m.type !== "cache") throw new Error(`invalid cache sharing set for ${m.type} mount`);
  if (m.env !== undefined && m.type !== "secret") throw new Error(`unexpected key 'env' for mount type '${m.type}'`);
}
