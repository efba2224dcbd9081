/**
 * Secrets must never reach output or logs. Everything the registry client
 * logs or puts in an error message passes through here: Authorization values,
 * tokens in JSON or query strings, and any secret registered at run time
 * (passwords and tokens the client itself holds).
 */
const known = new Set<string>();

/** Register a secret (a password, a token) so that it is masked wherever it appears. */
export function addSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) known.add(secret);
}

const PATTERNS: [RegExp, string][] = [
  [/\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 [redacted]"],
  [/("(?:token|access_token|refresh_token|identitytoken|password|auth|Secret)"\s*:\s*")[^"]*"/gi, '$1[redacted]"'],
  [/([?&](?:token|access_token|refresh_token|password)=)[^&\s]*/gi, "$1[redacted]"],
  [/(\/\/[^/\s:@]+:)[^/\s@]+@/g, "$1[redacted]@"],
];

/** `text` with every secret it contains replaced by `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const [re, to] of PATTERNS) out = out.replace(re, to);
  for (const s of known) out = out.split(s).join("[redacted]");
  return out;
}
