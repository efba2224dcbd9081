import { UsageError } from "../../errors.ts";
import type { ContainerConfig } from "../../image/index.ts";

// `docker import --change` / `docker commit --change`: the Dockerfile
// instructions that only touch the image config, applied to a config.

const ALLOWED = ["CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"];

/** Split like a Dockerfile word list: quotes group and are removed, backslash escapes. */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`unterminated quote in "${s}"`);
  if (inWord) words.push(cur);
  return words;
}

/** JSON array form (exec form), or undefined when `s` is not one. */
function jsonArray(s: string): string[] | undefined {
  if (!s.startsWith("[")) return undefined;
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === "string") ? v : undefined;
  } catch {
    return undefined;
  }
}

/** KEY=VALUE pairs, or the legacy `KEY VALUE` form. */
function pairs(instr: string, rest: string): [string, string][] {
  const words = splitWords(rest);
  if (words.length > 0 && !words[0]!.includes("=")) {
    const [key] = words;
    const value = rest.trim().slice(key!.length).trim();
    if (!value && instr === "ENV") throw new UsageError(`ENV names can not be blank: ENV ${rest}`);
    return [[key!, value]];
  }
  return words.map((w) => {
    const eq = w.indexOf("=");
    if (eq <= 0) throw new UsageError(`${instr} needs KEY=VALUE pairs, got "${w}"`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function applyChange(config: ContainerConfig, line: string): void {
  const m = /^\s*(\S+)\s*(.*)$/s.exec(line);
  if (!m) return;
  const instr = m[1]!.toUpperCase();
  const rest = m[2]!.trim();
  if (!ALLOWED.includes(instr)) {
    throw new UsageError(`${instr} is not a valid change command`, { hint: `--change accepts ${ALLOWED.join(", ")}` });
  }
  switch (instr) {
    case "CMD":
    case "ENTRYPOINT": {
      const argv = jsonArray(rest) ?? ["/bin/sh", "-c", rest];
      if (instr === "CMD") config.Cmd = argv;
      else config.Entrypoint = argv;
      break;
    }
    case "ENV":
      for (const [k, v] of pairs(instr, rest)) config.Env = [...(config.Env ?? []).filter((e) => !e.startsWith(`${k}=`)), `${k}=${v}`];
      break;
    case "LABEL":
      config.Labels = { ...config.Labels, ...Object.fromEntries(pairs(instr, rest)) };
      break;
    case "EXPOSE":
      for (const p of splitWords(rest)) config.ExposedPorts = { ...config.ExposedPorts, [p.includes("/") ? p : `${p}/tcp`]: {} };
      break;
    case "VOLUME":
      for (const v of jsonArray(rest) ?? splitWords(rest)) config.Volumes = { ...config.Volumes, [v]: {} };
      break;
    case "WORKDIR":
      config.WorkingDir = rest.startsWith("/") ? rest : `${(config.WorkingDir ?? "/").replace(/\/$/, "")}/${rest}`;
      break;
    case "USER":
      config.User = rest;
      break;
    case "STOPSIGNAL":
      config.StopSignal = rest;
      break;
    case "ONBUILD":
      config.OnBuild = [...(config.OnBuild ?? []), rest];
      break;
  }
}

/** Apply `--change` values (each may hold several lines) to a copy of `config`. */
export function applyChanges(changes: string[], config: ContainerConfig = {}): ContainerConfig {
  const out = structuredClone(config);
  for (const change of changes) for (const line of change.split("\n")) if (line.trim()) applyChange(out, line);
  return out;
}
