// ADD and COPY: flags, sources and destination, heredoc sources.
import { BFlags } from "./flags.ts";
import { chompHeredoc, parseHeredocWord } from "./heredoc.ts";
import type { AddInstruction, CopyInstruction, InstructionBase, SourceContent } from "./instructions.ts";
import type { Node } from "./parse.ts";

function mustParseHeredoc(word: string): ReturnType<typeof parseHeredocWord> {
  try {
    return parseHeredocWord(word);
  } catch {
    return undefined;
  }
}

/** Split arguments into destination, path sources and heredoc sources. */
function sourcesAndDest(node: Node, kind: string): { sources: string[]; contents: SourceContent[]; dest: string } {
  const dest = node.args[node.args.length - 1]!;
  if (mustParseHeredoc(dest)) throw new Error(`${kind} cannot accept a heredoc as a destination`);
  const sources: string[] = [];
  const contents: SourceContent[] = [];
  for (const src of node.args.slice(0, -1)) {
    const doc = mustParseHeredoc(src);
    if (!doc) {
      sources.push(src);
      continue;
    }
    const body = node.heredocs.find((h) => h.name === doc.name)?.content ?? "";
    contents.push({ name: doc.name, content: doc.chomp ? chompHeredoc(body) : body, expand: doc.expand });
  }
  return { sources, contents, dest };
}

function needDestination(node: Node, kind: string): void {
  if (node.args.length < 2) {
    throw new Error(`${kind} requires at least two arguments, but only one was provided. Destination could not be determined`);
  }
}

/** Declare the flags ADD and COPY share; the result reads them after parse(). */
function commonFlags(f: BFlags): () => { chown?: string; chmod?: string; link: boolean; exclude: string[] } {
  const chown = f.string("chown");
  const chmod = f.string("chmod");
  const link = f.bool("link");
  const exclude = f.strings("exclude");
  return () => ({ chown: chown(), chmod: chmod(), link: link(), exclude: exclude() });
}

/** ADD [--chown] [--chmod] [--link] [--keep-git-dir] [--checksum] [--exclude]... [--unpack] src... dest */
export function lowerAdd(node: Node, base: InstructionBase): AddInstruction {
  needDestination(node, "ADD");
  const f = new BFlags(node.flags);
  const common = commonFlags(f);
  const keepGitDir = f.bool("keep-git-dir");
  const checksum = f.string("checksum");
  const unpack = f.bool("unpack");
  f.parse();
  return {
    kind: "ADD",
    ...base,
    ...sourcesAndDest(node, "ADD"),
    ...common(),
    keepGitDir: keepGitDir(),
    checksum: checksum(),
    unpack: f.isUsed("unpack") ? unpack() : undefined,
    json: node.json,
  };
}

/** COPY [--from] [--chown] [--chmod] [--link] [--parents] [--exclude]... src... dest */
export function lowerCopy(node: Node, base: InstructionBase): CopyInstruction {
  needDestination(node, "COPY");
  const f = new BFlags(node.flags);
  const common = commonFlags(f);
  const from = f.string("from");
  const parents = f.bool("parents");
  f.parse();
  return {
    kind: "COPY",
    ...base,
    ...sourcesAndDest(node, "COPY"),
    ...common(),
    from: from(),
    parents: parents(),
    json: node.json,
  };
}
