// build/: executing a Dockerfile's stage graph (cache keys, COPY/ADD
// semantics, RUN, progress events) over the sandbox, layer codec and store.
// The in-container operations (ops.ts) are registered by src/main.ts and
// loaded lazily there.
export { runBuild, type BuildDeps, type BuildRequest } from "./builder.ts";
export { BuildDb } from "./build-db.ts";
export { forgetMissingContexts } from "./hash-cache.ts";
export type { IgnoreMatcher } from "./context.ts";
export type { BuildEvent, EventSink } from "./events.ts";
export type { Executor } from "./executor.ts";
export { ClassicProgress, formatEvent, type ProgressOptions } from "./progress.ts";
export { RealExecutor, type RealExecutorOptions } from "./real-executor.ts";
export { COPY_OP, copyOp, EXPORT_OP, exportOp, MKDIR_OP, mkdirOp } from "./ops.ts";
export { EXPORT_FS_OP, exportFsOp, exportImageFs, type FsTarget } from "./export-fs.ts";
export { prepareContext, type PreparedContext } from "./context-source.ts";
export { CacheExecutor } from "./cache-executor.ts";
export { parseCacheOption, type CacheOption } from "./cache-option.ts";
export { parseBuildSecrets, type BuildSecrets } from "./secrets.ts";
export { RegistryCache, type CacheStats, type RegistryCacheOptions } from "./cache-registry.ts";
