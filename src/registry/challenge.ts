/** One authentication challenge from a WWW-Authenticate header (RFC 7235). */
export interface Challenge {
  scheme: "basic" | "bearer" | string;
  params: Record<string, string>;
}

/**
 * Parse a WWW-Authenticate header into its challenges. Handles several
 * challenges in one header, quoted strings with escapes, and commas inside
 * quotes (scope="repository:a:pull,push" is one parameter).
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && !/[\s,=]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skipWs();
    while (i < n && header[i] === ",") i++, skipWs();
    if (i >= n) break;
    const scheme = token().toLowerCase();
    if (!scheme) break;
    const challenge: Challenge = { scheme, params: {} };
    out.push(challenge);
    for (;;) {
      skipWs();
      const save = i;
      const key = token();
      skipWs();
      if (!key || header[i] !== "=") {
        // Not a parameter: the start of the next challenge (or the end).
        i = save;
        break;
      }
      i++;
      skipWs();
      let value = "";
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === "\\" && i + 1 < n) i++;
          value += header[i++];
        }
        i++;
      } else {
        const start = i;
        while (i < n && header[i] !== ",") i++;
        value = header.slice(start, i).trim();
      }
      challenge.params[key.toLowerCase()] = value;
      skipWs();
      if (header[i] === ",") i++;
    }
  }
  return out;
}

/** The challenge kiln can answer, preferring Bearer over Basic. */
export function pickChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic");
}

/** Scope string for a repository: repository:NAME:ACTIONS. */
export function repositoryScope(repository: string, actions: ("pull" | "push")[]): string {
  return `repository:${repository}:${actions.join(",")}`;
}
