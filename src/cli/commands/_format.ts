import { compileTemplate, goJson } from "./_template.ts";

// Docker's output conventions: go-units sizes and durations, Go's time
// format, and text/tabwriter tables (minwidth 10, padding 3, as docker/cli
// sets them up), plus the --format handling its list commands share.

const UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/** go-units HumanSizeWithPrecision: decimal units, `precision` significant digits (%.*g). */
export function humanSize(bytes: number, precision = 4): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  // %g: significant digits, no trailing zeros.
  return `${Number(size.toPrecision(precision))}${UNITS[i]}`;
}

/** go-units HumanDuration ("2 weeks", "About an hour"). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** "2 weeks ago", or "N/A" without a time, as `docker images` shows it. */
export function createdSince(created: string | undefined, now = Date.now()): string {
  const t = created ? Date.parse(created) : NaN;
  return Number.isNaN(t) ? "N/A" : `${humanDuration(now - t)} ago`;
}

/** Go's time.Time.String() in UTC: "2024-09-06 22:20:07 +0000 UTC". */
export function goTime(created: string | undefined): string {
  const t = created ? new Date(created) : undefined;
  if (!t || Number.isNaN(t.getTime())) return "";
  return `${t.toISOString().replace("T", " ").replace(/\.\d+Z$/, "").replace(/Z$/, "")} +0000 UTC`;
}

/** text/tabwriter with docker/cli's settings: cells end at \t; columns padded to max(10, widest + 3). */
export function tabwrite(text: string, minWidth = 10, padding = 3): string {
  const lines = text.split("\n");
  const cells = lines.map((l) => l.split("\t"));
  const widths: number[] = [];
  for (const row of cells) {
    row.slice(0, -1).forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? minWidth, [...c].length + padding);
    });
  }
  return cells.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i]!) : c)).join("")).join("\n");
}

export interface ListFormat<T> {
  /** The user's --format ("" for the default). */
  format: string;
  /** The default table, without the leading "table ". */
  table: string;
  /** Column titles by field name (CreatedSince → CREATED); others are upper-cased. */
  headers: Record<string, string>;
  rows: T[];
}

/**
 * Render rows the way docker/cli does: "" or "table" → the default table;
 * "json" → one JSON object per line; "table TEMPLATE" → a table with a header
 * row; any other template → one line per row, no header. `\t` and `\n` written
 * literally in the format are turned into tab and newline.
 */
export function formatList<T extends object>(spec: ListFormat<T>): string {
  let format = spec.format.trim() || "table";
  if (format === "json") format = "{{json .}}";
  if (format === "table") format = `table ${spec.table}`;
  const isTable = format.startsWith("table");
  const body = (isTable ? format.slice("table".length) : format).trim().replaceAll("\\t", "\t").replaceAll("\\n", "\n");
  const render = compileTemplate(body);
  const lines = spec.rows.map((r) => render(r));
  if (!isTable) return lines.map((l) => `${l}\n`).join("");
  const header = new Proxy({}, { get: (_t, key) => (typeof key === "string" ? (spec.headers[key] ?? key.toUpperCase()) : undefined) });
  return `${tabwrite([render(header), ...lines].join("\n"))}\n`;
}

/** Apply a --format template to each object (inspect style: no table, no header). */
export function formatEach(format: string, values: unknown[]): string {
  const render = compileTemplate(format.replaceAll("\\t", "\t").replaceAll("\\n", "\n"));
  return values.map((v) => `${format === "json" ? goJson(v) : render(v)}\n`).join("");
}
