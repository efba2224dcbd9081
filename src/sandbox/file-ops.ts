// The file operations of Sys (sys.ts), on Node's fs: the init's work on the
// container root that needs no system call Node lacks. LibcSys (ffi.ts)
// extends this class with the libc calls.
import { accessSync, constants as fsc, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { lstatOrUndefined } from "../util/lstat.ts";
import { buildInitLayer } from "./init-layer.ts";
import type { InitLayerEntry } from "./spec.ts";

export class NodeFileOps {
  exists(path: string): boolean {
    return lstatOrUndefined(path) !== undefined;
  }

  realpath(path: string): string {
    return realpathSync(path);
  }

  isDirectory(path: string): boolean {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  }

  isExecutable(path: string): boolean {
    try {
      if (!statSync(path).isFile()) return false;
      accessSync(path, fsc.X_OK);
      return true;
    } catch {
      return false;
    }
  }

  mkdir(path: string, mode: number): void {
    mkdirSync(path, { mode });
  }

  mkdirp(path: string, mode: number): void {
    mkdirSync(path, { recursive: true, mode });
  }

  writeFile(path: string, data: string, mode: number): void {
    writeFileSync(path, data, { mode });
  }

  symlink(target: string, path: string): void {
    symlinkSync(target, path);
  }

  readFile(path: string): string | undefined {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  }

  writeFd(fd: number, data: string): void {
    writeSync(fd, data);
  }

  buildInitLayer(dir: string, lowerDirs: string[], entries: InitLayerEntry[]): InitLayerEntry[] {
    return buildInitLayer(dir, lowerDirs, entries);
  }
}
