// The three files every container gets from kiln rather than from its image,
// as Docker does: /etc/hosts, /etc/resolv.conf, /etc/hostname. The init
// writes them on its scratch tmpfs and bind-mounts them, so a container that
// edits them changes only its own copy, never the image.
import { readFileSync } from "node:fs";

/** /etc/hosts: localhost (IPv4 and IPv6, as Docker writes it), the container's hostname, then --add-host entries. */
export function hostsFile(hostname: string, extraHosts: { host: string; ip: string }[] = []): string {
  const lines = [
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "ff00::0\tip6-mcastprefix",
    "ff02::1\tip6-allnodes",
    "ff02::2\tip6-allrouters",
    `127.0.0.1\t${hostname}`,
    ...extraHosts.map((h) => `${h.ip}\t${h.host}`),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * /etc/resolv.conf: the host's. With the host's network the host's resolvers
 * (even a 127.0.0.53 stub) are reachable; without a network none are, and
 * the file only keeps search domains and options consistent.
 */
export function resolvConf(hostResolvConf = "/etc/resolv.conf"): string {
  try {
    return readFileSync(hostResolvConf, "utf8");
  } catch {
    return "";
  }
}

/** hosts, resolv.conf and hostname: name on the scratch tmpfs, content, path in the container. */
export function etcFiles(hostname: string, extraHosts: { host: string; ip: string }[] = []): { name: string; content: string; target: string }[] {
  return [
    { name: "hosts", content: hostsFile(hostname, extraHosts), target: "/etc/hosts" },
    { name: "resolv.conf", content: resolvConf(), target: "/etc/resolv.conf" },
    { name: "hostname", content: `${hostname}\n`, target: "/etc/hostname" },
  ];
}
