declare const KILN_VERSION: string | undefined;
declare const KILN_COMMIT: string | undefined;

/** Filled in by `define` in scripts/build.ts; "dev" when running from source. */
export const VERSION: string = typeof KILN_VERSION === "string" ? KILN_VERSION : "0.0.0-dev";
export const COMMIT: string = typeof KILN_COMMIT === "string" ? KILN_COMMIT : "unknown";
