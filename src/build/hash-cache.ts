/**
 * The stat-keyed hash cache (what BuildKit's contenthash does with its
 * persisted cache): context path + (size, mtime_ns, ino, ctime_ns, mode) →
 * the entry's Docker hash. An unchanged 20,000-file context is then lstat'ed,
 * not read. It lives in its own sqlite file under `<store>/build/` so that it
 * never contends with the store's metadata db (build-db.ts).
 *
 * Racy entries are not persisted: a file written in the same clock tick as it
 * was hashed could be written again without changing its mtime, so anything
 * whose mtime is within RACY_MS of the hashing is hashed again next time
 * (git's "racy clean" rule). Mode changes show in the signature itself.
 */
import { existsSync } from "node:fs";
import type { BuildDb } from "./build-db.ts";

const RACY_MS = 1000;

interface StatSignature {
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  mode: number;
}

/** The cache row key of a stat: equal signatures mean "same bytes and metadata" for our purpose. */
export function signatureOf(st: StatSignature): string {
  return `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.mode}`;
}

export class HashCache {
  private loaded = new Map<string, Map<string, { sig: string; hash: string }>>();
  private pending: [string, string, string, string][] = [];

  /** `persist: false` keeps hashes for this build only (a context dir no later build will see). */
  constructor(
    private readonly db: BuildDb,
    private readonly opts: { persist: boolean } = { persist: true },
  ) {}

  /** All rows of one context root, loaded in one query the first time the root is used. */
  private rows(root: string): Map<string, { sig: string; hash: string }> {
    let m = this.loaded.get(root);
    if (m) return m;
    m = new Map();
    const db = this.db.get();
    if (db) {
      for (const r of db.query("SELECT rel, sig, hash FROM hashes WHERE root = ?").all(root) as { rel: string; sig: string; hash: string }[]) {
        m.set(r.rel, { sig: r.sig, hash: r.hash });
      }
    }
    this.loaded.set(root, m);
    return m;
  }

  /** The cached hash of root/rel if its stat signature is unchanged. */
  get(root: string, rel: string, sig: string): string | undefined {
    const row = this.rows(root).get(rel);
    return row && row.sig === sig ? row.hash : undefined;
  }

  /** Remember a hash; persisted by flush() unless the entry is racy. */
  put(root: string, rel: string, st: StatSignature, hash: string, hashedAtMs: number): void {
    const sig = signatureOf(st);
    this.rows(root).set(rel, { sig, hash });
    if (this.opts.persist && hashedAtMs - Number(st.mtimeNs / 1_000_000n) > RACY_MS) this.pending.push([root, rel, sig, hash]);
  }

  /** Write the new rows in one transaction. */
  flush(): void {
    const db = this.db.get();
    if (!db || this.pending.length === 0) return;
    const insert = db.prepare("INSERT OR REPLACE INTO hashes (root, rel, sig, hash) VALUES (?, ?, ?, ?)");
    const rows = this.pending;
    this.pending = [];
    db.transaction(() => {
      for (const r of rows) insert.run(...r);
    })();
  }
}

/**
 * Forget the hashes of context dirs that no longer exist (a deleted checkout,
 * a temp context of an older kiln): `kiln prune` calls it. Returns how many
 * context dirs were forgotten.
 */
export function forgetMissingContexts(db: BuildDb): number {
  const sqlite = db.get();
  if (!sqlite) return 0;
  const roots = (sqlite.query("SELECT DISTINCT root FROM hashes").all() as { root: string }[]).map((r) => r.root);
  const gone = roots.filter((root) => !existsSync(root));
  const forget = sqlite.prepare("DELETE FROM hashes WHERE root = ?");
  sqlite.transaction(() => {
    for (const root of gone) forget.run(root);
  })();
  return gone.length;
}
