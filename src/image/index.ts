// image/: pure data types and parsing for OCI and Docker images.
export * from "./media-types.ts";
export * from "./digest.ts";
export * from "./reference.ts";
export * from "./config.ts";
export * from "./manifest.ts";
