import { defineCommand } from "citty";
import { appArmorProfile, checkKernel, checkOverlay, checkOverlayInUserns, checkStoreDir, checkSubIds, checkTools, checkUserNamespaceSysctls, hostFacts, type HostCheck } from "../../sandbox/index.ts";
import { resolveStoreRoot } from "../../store/index.ts";
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
    checks.push(checkStoreDir(resolveStoreRoot(process.env.KILN_ROOT)), ...hostFacts());
    const failed = checks.filter((c) => c.status === "fail");
    printOut(`${renderChecks(checks)}\n\n${failed.length === 0 ? `kiln can run here${rootless ? " (rootless)" : " (as root)"}.` : `kiln cannot run here: ${failed.length} check(s) failed.`}\n`);
    if (failed.length > 0) process.exitCode = 1;
  },
});
