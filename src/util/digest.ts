/** A sha256 digest in OCI form: `sha256:<64 hex>`. */
export type Sha256Digest = `sha256:${string}`;

/** sha256 of bytes or a string, as `sha256:…`. */
export function sha256(data: string | Uint8Array): Sha256Digest {
  return `sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}`;
}

/** Incremental sha256 that also counts bytes: feed chunks, then read `digest()`. */
export class Sha256Stream {
  private readonly hasher = new Bun.CryptoHasher("sha256");
  size = 0;

  update(chunk: Uint8Array): void {
    this.hasher.update(chunk);
    this.size += chunk.byteLength;
  }

  digest(): Sha256Digest {
    return `sha256:${this.hasher.digest("hex")}`;
  }
}

/** sha256 of a file, streamed (never the whole file in memory). */
export async function sha256File(path: string): Promise<{ digest: Sha256Digest; size: number }> {
  const h = new Sha256Stream();
  for await (const chunk of Bun.file(path).stream()) h.update(chunk);
  return { digest: h.digest(), size: h.size };
}
