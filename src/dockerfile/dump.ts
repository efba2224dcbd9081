// The AST printed as BuildKit's Node.Dump does: one `(keyword args...)`
// s-expression per instruction, keyword lower-cased, flags as a Go-quoted
// list, every argument Go-quoted, ONBUILD's trigger nested. Used by the golden
// conformance tests and by `kiln check --print-ast`.
import { goQuote, goQuoteList } from "./_text.ts";
import type { Node } from "./parse.ts";

/** One node as an s-expression body (without the outer parentheses). */
export function dumpNode(node: Node): string {
  let s = node.keyword.toLowerCase();
  if (node.flags.length > 0) s += ` ${goQuoteList(node.flags)}`;
  if (node.trigger) s += ` (${dumpNode(node.trigger)})`;
  for (const arg of node.args) s += ` ${goQuote(arg)}`;
  return s.trim();
}

/** The whole AST, one line per instruction, no trailing newline (BuildKit's root Dump). */
export function dumpAst(ast: readonly Node[]): string {
  return ast.map((n) => `(${dumpNode(n)})`).join("\n");
}
