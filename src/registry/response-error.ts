import { KilnError, RegistryError, type ErrorCode } from "../errors.ts";
import { redact } from "./redact.ts";

/** One entry of a distribution-spec error body: {"errors":[{code, message, detail}]}. */
export interface SpecError {
  code: string;
  message?: string;
  detail?: unknown;
}

/** Parse a distribution-spec error body; [] when the body is something else. */
export function parseSpecErrors(body: string): SpecError[] {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) return parsed.errors.filter((e): e is SpecError => typeof e?.code === "string");
  } catch {
    // Not JSON: proxies and load balancers answer with HTML or text.
  }
  return [];
}

/** What the request was, for the message: "manifest alpine:latest", "blob sha256:… of team/app". */
export interface RequestContext {
  registry: string;
  what: string;
}

function codeAndHint(status: number, specCode: string | undefined, ctx: RequestContext): { code: ErrorCode; hint?: string } {
  if (status === 401 || specCode === "UNAUTHORIZED") {
    return { code: "E_REGISTRY_AUTH", hint: `run kiln login ${ctx.registry}` };
  }
  if (status === 403 || specCode === "DENIED") {
    return { code: "E_REGISTRY_AUTH", hint: `the account used for ${ctx.registry} may not access this repository; check the name, or kiln login ${ctx.registry} as another user` };
  }
  if (specCode === "MANIFEST_UNKNOWN" || specCode === "NAME_UNKNOWN" || (status === 404 && ctx.what.startsWith("manifest"))) {
    return { code: "E_REGISTRY_NOT_FOUND", hint: "no such image or tag: check the name and tag (kiln pull NAME:TAG)" };
  }
  if (specCode === "BLOB_UNKNOWN" || status === 404) {
    return { code: "E_REGISTRY_NOT_FOUND", hint: "the registry lacks content the image refers to; push the image again" };
  }
  if (status === 429 || specCode === "TOOMANYREQUESTS") return { code: "E_REGISTRY", hint: "the registry rate-limits this client; wait and retry, or log in" };
  if (specCode === "DIGEST_INVALID" || specCode === "SIZE_INVALID") {
    return { code: "E_BLOB_DIGEST_MISMATCH", hint: "the uploaded bytes did not match their digest; check the local store (kiln prune) and push again" };
  }
  if (specCode === "MANIFEST_BLOB_UNKNOWN") return { code: "E_REGISTRY", hint: "a blob of the manifest is missing on the registry; push again" };
  if (status >= 500) return { code: "E_REGISTRY", hint: "the registry failed; try again later" };
  return { code: "E_REGISTRY" };
}

/**
 * Turn a failed registry response into a RegistryError: the spec's error
 * code and message when the body has them, a hint saying what to do next,
 * and nothing secret (the text is redacted).
 */
export async function errorFromResponse(res: Response, ctx: RequestContext): Promise<RegistryError> {
  const body = await res.text().catch(() => "");
  const errs = parseSpecErrors(body);
  const first = errs[0];
  const { code, hint } = codeAndHint(res.status, first?.code, ctx);
  const detail = errs.length > 0
    ? errs.map((e) => `${e.code}: ${e.message ?? ""}${e.detail && typeof e.detail !== "object" ? ` (${String(e.detail)})` : ""}`).join("; ")
    : `${res.status} ${res.statusText}${body && body.length < 200 && !body.trimStart().startsWith("<") ? `: ${body.trim()}` : ""}`;
  let summary = `${ctx.registry}: ${ctx.what}: ${detail}`;
  if (code === "E_REGISTRY_NOT_FOUND" && ctx.what.startsWith("manifest")) summary = `${ctx.registry}: ${ctx.what}: no such image or tag (${detail})`;
  return new RegistryError(code, redact(summary), { hint });
}

/** Was this error the registry saying that the reference (or blob) does not exist? */
export function isNotFound(err: unknown): boolean {
  return err instanceof KilnError && err.code === "E_REGISTRY_NOT_FOUND";
}
