import { existsSync } from "node:fs";
import { join } from "node:path";
import { defineCommand } from "citty";
import { appArmorProfile, checkKernel, checkOverlay, checkOverlayInUserns, checkStoreDir, checkSubIds, checkTools, checkUserNamespaceSysctls, hostFacts, type HostCheck } from "../../sandbox/index.ts";
import { resolveStoreRoot, tmpTopDirRecord } from "../../store/index.ts";
import { printOut } from "./_shared.ts";

const MARK: Record<HostCheck["status"], string> = { ok: "ok  ", warn: "warn", fail: "FAIL", info: "info" };

/** One line per check; the fix, indented, under a check that is not ok. */
export function renderChecks(checks: HostCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks
    .map((c) => {
      const line = `[${MARK[c.status]}] ${c.name.padEnd(width)}  ${c.detail}`;
      return c.fix && (c.status === "warn" || c.status === "fail") ? `${line}\n       fix: ${c.fix.replaceAll("\n", "\n            ")}` : line;
    })
    .join("\n");
}

/**
 * Is the store's tmp/ marked `chattr +T` (README "Performance")? kiln marks it
 * when it opens a store (once, new or old); lsattr reads the flag back.
 */
export function checkTmpTopDir(root: string): HostCheck {
  const tmp = join(root, "tmp");
  const name = "store tmp/ +T";
  if (!existsSync(tmp)) return { name, status: "info", detail: `${tmp} does not exist yet: kiln marks it chattr +T when it first opens the store` };
  const r = Bun.spawnSync(["lsattr", "-d", tmp], { stdout: "pipe", stderr: "pipe" });
  const flags = r.exitCode === 0 ? (r.stdout.toString().split(/\s+/)[0] ?? "") : "";
  if (flags.includes("T")) return { name, status: "ok", detail: `${tmp} is marked chattr +T (containers' new dirs spread over the disk)` };
  // tmpfs reads flags but takes no +T: what kiln found when it tried counts.
  if (tmpTopDirRecord(root) === "unsupported" || /not supported|Inappropriate ioctl/i.test(r.stderr.toString())) {
    return { name, status: "info", detail: "the store's file system has no chattr +T flag (only ext2/3/4 do): nothing to do" };
  }
  if (r.exitCode !== 0) return { name, status: "info", detail: `cannot read the flags of ${tmp}: ${r.stderr.toString().trim() || `lsattr exited ${r.exitCode}`}` };
  return { name, status: "warn", detail: `${tmp} is not marked chattr +T: creating many files after a large delete can be slow`, fix: `chattr +T ${tmp}` };
}

export default defineCommand({
  meta: { name: "doctor", description: "Check that this host can run kiln" },
  args: {
    "apparmor-profile": { type: "boolean", description: "Print an AppArmor profile that lets kiln create user namespaces, and exit" },
  },
  async run({ args }) {
    if (args["apparmor-profile"]) {
      printOut(`${appArmorProfile()}\n`);
      return;
    }
    const rootless = process.getuid?.() !== 0;
    const checks: HostCheck[] = [checkKernel(), checkOverlay(), ...checkTools(), ...checkUserNamespaceSysctls(), ...checkSubIds()];
    const userns = await checkOverlayInUserns();
    // As root kiln never needs a user namespace: report, but do not fail on it.
    checks.push(rootless || userns.status === "ok" ? userns : { ...userns, status: "warn", detail: `${userns.detail} (only rootless kiln needs it)` });
    const root = resolveStoreRoot(process.env.KILN_ROOT);
    checks.push(checkStoreDir(root), checkTmpTopDir(root), ...hostFacts());
    const failed = checks.filter((c) => c.status === "fail");
    printOut(`${renderChecks(checks)}\n\n${failed.length === 0 ? `kiln can run here${rootless ? " (rootless)" : " (as root)"}.` : `kiln cannot run here: ${failed.length} check(s) failed.`}\n`);
    if (failed.length > 0) process.exitCode = 1;
  },
});
