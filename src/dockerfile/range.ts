// Source ranges and how a Dockerfile problem is pinned to them: every error
// this module throws is a DockerfileError carrying the 1-based line range and,
// when the source is at hand, a BuildKit-style snippet with `>>>` markers
// (moby/buildkit solver/errdefs/source.go prints the same shape).
import { DockerfileError, type ErrorCode, type LineRange } from "../errors.ts";

export type { LineRange };

/** Where a problem was found, for errors made after parsing. */
export interface SourceContext {
  /** Display name ("Dockerfile", "build/Dockerfile.dev"). */
  file?: string;
  /** The Dockerfile text, to render snippets. */
  source?: string;
}

/** A range covering lines `start`..`end` (end defaults to start, never before it). */
export function lineRange(start: number, end = start): LineRange {
  return { startLine: start, endLine: Math.max(start, end) };
}

/** True when `line` lies inside `range`. */
export function containsLine(range: LineRange, line: number): boolean {
  return line >= range.startLine && line <= range.endLine;
}

/**
 * The offending lines of `source` with `>>>` markers and a little context,
 * framed like BuildKit's errdefs output (the `Dockerfile:N` header is left to
 * the caller, which prints `DockerfileError.located` first).
 */
export function renderSnippet(source: string, range: LineRange): string | undefined {
  const lines = source.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  let start = range.startLine;
  let end = Math.min(range.endLine, lines.length);
  if (start < 1 || start > lines.length) return undefined;
  // Two lines of context around multi-line ranges, four around a single line,
  // shared between before and after as BuildKit does.
  const pad = end === start ? 4 : 2;
  for (let p = 0; p < pad; ) {
    if (start > 1) {
      start--;
      p++;
    }
    if (end < lines.length) {
      end++;
      p++;
    }
    p++;
  }
  const rule = "--------------------";
  const out = [rule];
  for (let i = start; i <= end; i++) {
    const mark = containsLine(range, i) ? ">>>" : "   ";
    out.push(` ${String(i).padStart(3)} | ${mark} ${(lines[i - 1] ?? "").replace(/\r$/, "")}`);
  }
  out.push(rule);
  return out.join("\n");
}

/** A DockerfileError at `range`, with the snippet filled in when the source is known. */
export function dockerfileError(
  message: string,
  range: LineRange | undefined,
  ctx: SourceContext = {},
  code: ErrorCode = "E_DOCKERFILE_SYNTAX",
  hint?: string,
): DockerfileError {
  const err = new DockerfileError(message, range, { code, file: ctx.file, hint });
  if (range && ctx.source !== undefined) err.snippet = renderSnippet(ctx.source, range);
  return err;
}

/**
 * Pin any error to `range`: a DockerfileError without a range gets this one
 * (keeping its code and hint); anything else becomes one with `code`.
 */
export function locateError(err: unknown, range: LineRange, ctx: SourceContext, code: ErrorCode): DockerfileError {
  if (err instanceof DockerfileError) {
    if (err.range) return err;
    return dockerfileError(err.message, range, ctx, err.code, err.hint);
  }
  return dockerfileError(err instanceof Error ? err.message : String(err), range, ctx, code);
}
