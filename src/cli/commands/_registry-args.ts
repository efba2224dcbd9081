import type { RegistryOptions } from "../../registry/index.ts";
import type { KilnArgDef } from "../flags.ts";
import { logger } from "../logger.ts";

/** Flags every registry command takes (docker's and podman's spelling). */
export const registryArgs = {
  "tls-verify": { type: "boolean", description: "Require HTTPS and verify certificates (default true; --tls-verify=false for a test registry)" },
  "cert-dir": { type: "string", valueHint: "dir", description: "Use ca.crt (and client.cert/client.key) from DIR instead of /etc/docker/certs.d/HOST" },
  authfile: { type: "string", valueHint: "file", description: "Credentials file (default: $REGISTRY_AUTH_FILE, ~/.docker/config.json)" },
} as const satisfies Record<string, KilnArgDef>;

/** RegistryOptions from parsed flags; debug logs go to kiln's logger (secrets are redacted by the client). */
export function registryOptions(args: Record<string, unknown>): RegistryOptions {
  return {
    tlsVerify: args["tls-verify"] !== false,
    certDir: typeof args["cert-dir"] === "string" ? args["cert-dir"] : undefined,
    authFile: typeof args.authfile === "string" ? args.authfile : undefined,
    logger: { debug: (m) => logger.debug(m), warn: (m) => logger.warn(m) },
  };
}
