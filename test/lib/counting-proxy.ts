// An HTTP proxy in front of a test registry that records every request
// (method, path, status, response body bytes), so that tests can say exactly
// what a client fetched. Upload locations the registry hands out are
// rewritten to point back at the proxy.

export interface ProxiedRequest {
  method: string;
  /** Path and query, e.g. /v2/app/cache/manifests/main. */
  path: string;
  status: number;
  /** Bytes of the response body passed to the client. */
  bytes: number;
}

export interface CountingProxy extends Disposable {
  /** "127.0.0.1:PORT": use it as the registry part of references. */
  host: string;
  readonly requests: ProxiedRequest[];
  reset(): void;
  /** Digests of blobs fetched with GET (status 200/206), in order. */
  blobGets(): string[];
  /** Bytes of all GET responses. */
  bytesDown(): number;
  stop(): void;
}

/** Start a proxy to the registry at `target` ("127.0.0.1:PORT", plain HTTP). */
export function startCountingProxy(target: string): CountingProxy {
  const requests: ProxiedRequest[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const headers = new Headers(req.headers);
      headers.delete("host");
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(await req.arrayBuffer());
      const up = await fetch(`http://${target}${url.pathname}${url.search}`, { method: req.method, headers, body, redirect: "manual" });
      const data = req.method === "HEAD" ? new Uint8Array() : new Uint8Array(await up.arrayBuffer());
      requests.push({ method: req.method, path: `${url.pathname}${url.search}`, status: up.status, bytes: data.byteLength });
      const out = new Headers(up.headers);
      const location = out.get("location");
      if (location) out.set("location", location.replace(`http://${target}`, `http://${url.host}`));
      out.delete("content-encoding");
      if (req.method !== "HEAD") out.delete("content-length");
      return new Response(req.method === "HEAD" ? null : data, { status: up.status, headers: out });
    },
  });
  const host = `127.0.0.1:${server.port}`;
  return {
    host,
    requests,
    reset: () => void requests.splice(0),
    blobGets: () => requests.filter((r) => r.method === "GET" && (r.status === 200 || r.status === 206) && /\/blobs\/sha256:/.test(r.path)).map((r) => r.path.replace(/^.*\/blobs\//, "")),
    bytesDown: () => requests.filter((r) => r.method === "GET").reduce((n, r) => n + r.bytes, 0),
    stop: () => server.stop(true),
    [Symbol.dispose]: () => server.stop(true),
  };
}
