// PURE: `--user` / USER resolution with runc's rules (libcontainer/user
// GetExecUser), which Docker uses: "name", "uid", "name:group", "uid:gid",
// "" (root). Names go through the image's /etc/passwd and /etc/group (the
// caller reads them inside the container root); numeric ids need no entry.
// Supplementary groups come from /etc/group only when no group was given;
// the primary gid is always one of them, as Docker ≥ 20.10.18 sets it
// (moby daemon/oci_linux.go getUser, the CVE-2022-36109 fix): `id` in a
// container shows `groups=65534(nogroup)` for nobody, as with Docker.
import { SandboxError } from "../errors.ts";

export interface ExecUser {
  uid: number;
  gid: number;
  /** Supplementary groups, for setgroups(2). */
  groups: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2 ** 31 - 1;

function parseId(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_ID ? n : undefined;
}

/** Lines of a colon-separated database, skipping comments, blanks and malformed entries. */
function records(text: string | undefined, fields: number): string[][] {
  if (!text) return [];
  return text
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((l) => l.split(":"))
    .filter((f) => f.length >= fields);
}

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of records(text, 4)) {
    const uid = parseId(f[2]!);
    const gid = parseId(f[3]!);
    if (uid !== undefined && gid !== undefined) out.push({ name: f[0]!, uid, gid, home: f[5] || "/" });
  }
  return out;
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of records(text, 3)) {
    const gid = parseId(f[2]!);
    if (gid !== undefined) out.push({ name: f[0]!, gid, members: (f[3] ?? "").split(",").map((s) => s.trim()).filter(Boolean) });
  }
  return out;
}

/** Resolve a user spec against the image's passwd and group files (undefined when absent). */
export function resolveUser(spec: string, passwdText: string | undefined, groupText: string | undefined): ExecUser {
  const user = lookUpUser(spec, passwdText, groupText);
  // The primary gid first, duplicates dropped (runc's GetAdditionalGroups keeps each gid once).
  return { ...user, groups: [...new Set([user.gid, ...user.groups])] };
}

/** runc's GetExecUser: ids, home and the supplementary groups /etc/group lists the user in. */
function lookUpUser(spec: string, passwdText: string | undefined, groupText: string | undefined): ExecUser {
  const colon = spec.indexOf(":");
  const userArg = colon === -1 ? spec : spec.slice(0, colon);
  const groupArg = colon === -1 ? "" : spec.slice(colon + 1);
  const uidArg = parseId(userArg);
  const user: ExecUser = { uid: 0, gid: 0, groups: [], home: "/" };

  const passwd = parsePasswd(passwdText);
  const match = passwd.find((u) => (userArg === "" ? u.uid === 0 : uidArg !== undefined ? u.uid === uidArg : u.name === userArg));
  if (match) {
    Object.assign(user, { uid: match.uid, gid: match.gid, home: match.home });
  } else if (userArg !== "") {
    if (uidArg === undefined) {
      throw new SandboxError("E_SANDBOX", `unable to find user ${userArg}: no matching entries in passwd file`, {
        hint: "Use a user that exists in the image's /etc/passwd, or a numeric uid[:gid].",
      });
    }
    user.uid = uidArg;
  }

  if (groupArg === "" && !match) return user;
  const groups = parseGroup(groupText);
  if (groupArg !== "") {
    const gidArg = parseId(groupArg);
    const g = groups.find((e) => (gidArg !== undefined ? e.gid === gidArg : e.name === groupArg));
    if (g) user.gid = g.gid;
    else if (gidArg !== undefined) user.gid = gidArg;
    else {
      throw new SandboxError("E_SANDBOX", `unable to find group ${groupArg}: no matching entries in group file`, {
        hint: "Use a group that exists in the image's /etc/group, or a numeric gid.",
      });
    }
  } else {
    // Supplementary groups only in the implicit form, as runc does.
    user.groups = groups.filter((g) => g.members.includes(match!.name)).map((g) => g.gid);
  }
  return user;
}
