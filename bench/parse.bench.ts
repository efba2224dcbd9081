// Dockerfile front-end speed: parse (and lower, and build the stage graph,
// and the full `kiln check` pipeline) the largest BuildKit conformance
// Dockerfile many times; report µs per instruction. The reference, measured
// in the same run, is the least any parser must do: split the text into
// lines and test each against a keyword RegExp.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildStageGraph, checkDockerfile, lowerInstructions, parseDockerfile } from "../src/dockerfile/index.ts";
import { median, printTable, type Row, timeRuns } from "./lib.ts";

const shared = process.env.KILN_SHARED ?? resolve(import.meta.dir, "../../shared");
const dir = join(shared, "conformance/buildkit-parser/testfiles");
if (!existsSync(dir)) {
  console.error(`skip: ${dir} is absent`);
  process.exit(0);
}
const files = readdirSync(dir).map((name) => ({ name, text: readFileSync(join(dir, name, "Dockerfile"), "utf8") }));
const largest = files.reduce((a, b) => (b.text.length > a.text.length ? b : a));
// The same file repeated: a 1000+ instruction Dockerfile, to show the cost stays linear.
const big = { name: `${largest.name} ×40`, text: Array.from({ length: 40 }, () => largest.text).join("\n") };

const KEYWORD = /^\s*([A-Za-z]+)\s/;
const reference = (text: string): number => {
  let n = 0;
  for (const line of text.split("\n")) if (KEYWORD.test(line)) n++;
  return n;
};

const ITER = 200;
function measure(label: string, text: string, instructions: number, fn: (t: string) => unknown, refUs: number): Row {
  // Warm this path up, then take the median of samples of ITER runs each
  // (so the timer's resolution does not dominate).
  for (let i = 0; i < ITER; i++) fn(text);
  const ms = median(
    Array.from({ length: 15 }, () => {
      const t0 = performance.now();
      for (let i = 0; i < ITER; i++) fn(text);
      return (performance.now() - t0) / ITER;
    }),
  );
  const us = ms * 1000;
  return { name: label, instructions, "µs/file": us, "µs/instr": us / instructions, "× reference": us / refUs };
}

const rows: Row[] = [];
for (const f of [largest, big]) {
  const n = parseDockerfile(f.text).ast.length;
  await timeRuns(() => {
    for (let i = 0; i < 50; i++) checkDockerfile(f.text);
  }, 1, 2); // warm the JIT up
  for (let i = 0; i < ITER; i++) reference(f.text);
  const refUs = median(
    Array.from({ length: 15 }, () => {
      const t0 = performance.now();
      for (let i = 0; i < ITER; i++) reference(f.text);
      return ((performance.now() - t0) / ITER) * 1000;
    }),
  );
  rows.push({ name: `${f.name}: reference (split + RegExp)`, instructions: n, "µs/file": refUs, "µs/instr": refUs / n, "× reference": 1 });
  rows.push(measure(`${f.name}: parse`, f.text, n, (t) => parseDockerfile(t), refUs));
  rows.push(measure(`${f.name}: parse + lower`, f.text, n, (t) => lowerInstructions(parseDockerfile(t)), refUs));
  rows.push(measure(`${f.name}: + stage graph`, f.text, n, (t) => buildStageGraph(lowerInstructions(parseDockerfile(t))), refUs));
  rows.push(measure(`${f.name}: kiln check (all + lint)`, f.text, n, (t) => checkDockerfile(t), refUs));
}
printTable(`Dockerfile front-end (largest conformance file: ${largest.name}, ${largest.text.length} bytes)`, rows);
const worst = Math.max(...rows.filter((r) => String(r.name).endsWith("parse")).map((r) => Number(r["µs/instr"])));
console.log(`\nparse: ${worst.toFixed(2)} µs per instruction at worst (target: well under 1000 µs)`);
