// Go's value syntaxes that Dockerfile flags use: time.ParseDuration for
// HEALTHCHECK intervals and docker/go-units RAMInBytes for tmpfs sizes.

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "\u00b5s": 1e3,
  "\u03bcs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, in nanoseconds. Throws with Go's messages. */
export function parseGoDuration(s: string): number {
  const quoted = JSON.stringify(s);
  let rest = s;
  let sign = 1;
  if (rest[0] === "-" || rest[0] === "+") {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw new Error(`time: invalid duration ${quoted}`);
  let total = 0;
  while (rest !== "") {
    const m = /^(\d*)(?:\.(\d*))?/.exec(rest)!;
    if (m[0] === "" || m[0] === ".") throw new Error(`time: invalid duration ${quoted}`);
    rest = rest.slice(m[0].length);
    const u = /^[^0-9.]+/.exec(rest);
    if (!u) throw new Error(`time: missing unit in duration ${quoted}`);
    const scale = UNIT_NS[u[0]];
    if (scale === undefined) throw new Error(`time: unknown unit ${JSON.stringify(u[0])} in duration ${quoted}`);
    rest = rest.slice(u[0].length);
    total += Number(`${m[1] || "0"}.${m[2] || "0"}`) * scale;
  }
  if (total > 9.223372036854775e18) throw new Error(`time: invalid duration ${quoted}`);
  return sign * Math.round(total);
}

const SIZE_UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** docker/go-units RAMInBytes: `64m`, `1.5GiB`, `1024` (binary multiples). */
export function parseRamInBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  const n = Number.parseFloat(m[1]!);
  return Math.trunc(n * (m[2] ? SIZE_UNITS[m[2].toLowerCase()]! : 1));
}
