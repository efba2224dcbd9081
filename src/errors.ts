/**
 * kiln's error types. Every error that reaches the user is a KilnError with a
 * stable `code` (E_*), a one-line message, and where possible a `hint` that
 * says what to do next. The CLI renders them; stacks appear only with --debug.
 */

export type ErrorCode =
  | "E_USAGE"
  | "E_INTERNAL"
  | "E_NOT_IMPLEMENTED"
  | "E_DOCKERFILE_SYNTAX"
  | "E_DOCKERFILE_INSTRUCTION"
  | "E_DOCKERFILE_EXPANSION"
  | "E_DOCKERFILE_STAGE"
  | "E_HOST"
  | "E_NO_USERNS"
  | "E_NO_SUBIDS"
  | "E_NO_OVERLAY"
  | "E_SANDBOX"
  | "E_LAYER"
  | "E_LAYER_UNSAFE_PATH"
  | "E_STORE"
  | "E_STORE_LOCKED"
  | "E_IMAGE_NOT_FOUND"
  | "E_IMAGE_AMBIGUOUS"
  | "E_IMAGE_IN_USE"
  | "E_REFERENCE"
  | "E_BLOB_DIGEST_MISMATCH"
  | "E_BLOB_NOT_FOUND"
  | "E_REGISTRY"
  | "E_REGISTRY_AUTH"
  | "E_REGISTRY_NOT_FOUND"
  | "E_PLATFORM"
  | "E_BUILD"
  | "E_BUILD_STEP_FAILED"
  | "E_BUILD_CONTEXT"
  | "E_CONTAINER_NOT_FOUND"
  | "E_INTERRUPTED";

export interface KilnErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Process exit status when this error ends kiln (default 1). */
  exitCode?: number;
}

export class KilnError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: KilnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Bad command line: unknown command or flag, missing argument. Exit status 2. */
export class UsageError extends KilnError {
  constructor(message: string, options: Omit<KilnErrorOptions, "exitCode"> = {}) {
    super("E_USAGE", message, { ...options, exitCode: 2 });
  }
}

/** A 1-based inclusive line range inside a Dockerfile. */
export interface LineRange {
  startLine: number;
  endLine: number;
}

/**
 * A problem in a Dockerfile. Rendered as `Dockerfile:LINE: message` with a
 * snippet of the offending lines when the source is at hand.
 */
export class DockerfileError extends KilnError {
  readonly range?: LineRange;
  /** Display name of the file ("Dockerfile", "build/Dockerfile.dev"). */
  file: string;
  /** The offending lines with `>>>` markers, filled in when the source is at hand. */
  snippet?: string;

  constructor(
    message: string,
    range?: LineRange,
    options: KilnErrorOptions & { code?: ErrorCode; file?: string } = {},
  ) {
    super(options.code ?? "E_DOCKERFILE_SYNTAX", message, options);
    this.range = range;
    this.file = options.file ?? "Dockerfile";
  }

  /** `Dockerfile:12: message` — the one-line form used everywhere. */
  get located(): string {
    return this.range ? `${this.file}:${this.range.startLine}: ${this.message}` : `${this.file}: ${this.message}`;
  }
}

/** The host lacks something kiln needs (kernel feature, tool, permission). */
export class HostError extends KilnError {}
/** A container could not be set up or run. */
export class SandboxError extends KilnError {}
/** A layer could not be produced or applied. */
export class LayerError extends KilnError {}
/** The local image store refused or failed an operation. */
export class StoreError extends KilnError {}
/** A registry answered with an error or could not be reached. */
export class RegistryError extends KilnError {}
/** A build step failed. `exitCode` of a failed RUN is 1, as with `docker build`. */
export class BuildError extends KilnError {}

/** Node/Bun system error shape (errno code on fs and spawn failures). */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string"
    ? err.code
    : undefined;
}
