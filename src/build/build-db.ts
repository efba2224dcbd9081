/**
 * The build's own sqlite file, `<store>/build/build.db`: the stat-keyed hash
 * cache of context files and the inputs of committed steps (to explain cache
 * misses). It is separate from the store's metadata db so that hashing a
 * large context never holds the store's write lock. Opened on first use: a
 * fully cached build of a Dockerfile without COPY never opens it.
 */
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS hashes (root TEXT NOT NULL, rel TEXT NOT NULL, sig TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (root, rel)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS steps (key TEXT PRIMARY KEY, parent TEXT NOT NULL, inputs TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS steps_parent ON steps (parent, at);
`;

export class BuildDb implements Disposable {
  private db: Database | undefined;

  /** `dir` undefined: nothing is persisted (tests, dry runs). */
  constructor(private readonly dir: string | undefined) {}

  get(): Database | undefined {
    if (this.db || !this.dir) return this.db;
    mkdirSync(this.dir, { recursive: true });
    const db = new Database(join(this.dir, "build.db"), { create: true });
    db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;");
    db.exec(SCHEMA);
    this.db = db;
    return db;
  }

  [Symbol.dispose](): void {
    this.db?.close();
    this.db = undefined;
  }
}
