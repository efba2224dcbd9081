import { writeSync } from "node:fs";
import { printOut } from "../output.ts";
import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import { login, normalizeRegistryHost } from "../../registry/index.ts";
import { registryArgs, registryOptions } from "./_registry-args.ts";

/** Read one line from the terminal; with `secret`, without echo (stty -echo, as docker does). */
async function prompt(label: string, secret: boolean): Promise<string> {
  writeSync(2, label);
  if (secret) Bun.spawnSync(["stty", "-echo"], { stdin: "inherit" });
  try {
    for await (const line of console) return line;
    return "";
  } finally {
    if (secret) {
      Bun.spawnSync(["stty", "echo"], { stdin: "inherit" });
      writeSync(2, "\n");
    }
  }
}

export default defineCommand({
  meta: { name: "login", description: "Log in to a registry" },
  args: {
    server: { type: "positional", required: false, description: "Registry host[:port] (default: docker.io)", valueHint: "server" },
    username: { type: "string", alias: ["u"], description: "Username", valueHint: "user" },
    password: { type: "string", alias: ["p"], description: "Password (visible to other users of this host: prefer --password-stdin)", valueHint: "password" },
    "password-stdin": { type: "boolean", description: "Take the password from stdin" },
    ...registryArgs,
  },
  async run({ args }) {
    const registry = normalizeRegistryHost(typeof args.server === "string" ? args.server : undefined);
    let username = typeof args.username === "string" ? args.username : undefined;
    let password = typeof args.password === "string" ? args.password : undefined;
    if (password !== undefined && args["password-stdin"]) throw new UsageError("--password and --password-stdin are mutually exclusive");
    if (args["password-stdin"]) {
      if (!username) throw new UsageError("Must provide --username with --password-stdin");
      password = (await new Response(Bun.stdin.stream()).text()).replace(/\r?\n$/, "");
    } else if (password !== undefined) {
      writeSync(2, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    }
    const interactive = process.stdin.isTTY === true;
    if ((!username || password === undefined) && !interactive) {
      throw new UsageError("Cannot perform an interactive login from a non TTY device", { hint: "pass -u USER and --password-stdin" });
    }
    username ||= (await prompt("Username: ", false)).trim();
    if (password === undefined) password = await prompt("Password: ", true);
    if (!username || !password) throw new UsageError("Error: username and password are required");
    const where = await login(registry, { username, password }, registryOptions(args));
    writeSync(2, `Credentials saved in ${where}\n`);
    printOut("Login Succeeded\n");
  },
});
