// "HOST:PORT" and "[IPv6]:PORT", split once for every place that reads one
// (a tcp probe in lazarus.toml, --http=ADDR:PORT). Pure; what a part may be is
// the caller's to judge and to say in its own words.

/** An IPv6 address as written inside brackets ("::1", "fe80::1"). */
export function isIpv6Literal(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":")) return false;
  try {
    return new URL(`http://[${s}]/`).hostname !== "";
  } catch {
    return false;
  }
}

export type HostPort =
  | { readonly ok: true; readonly host: string; readonly port: string }
  /** No ':' at all. */
  | { readonly ok: false; readonly why: "no-colon" }
  /** In brackets, but not an IPv6 address. */
  | { readonly ok: false; readonly why: "bad-ipv6"; readonly host: string }
  /** An IPv6 address without its brackets ("::1:80"). */
  | { readonly ok: false; readonly why: "unbracketed"; readonly port: string };

/** `[IPv6]:PORT` or `HOST:PORT` (split at the last ':'); the port is not checked. */
export function splitHostPort(text: string): HostPort {
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(text);
  if (v6 !== null) {
    const host = v6[1] as string;
    return isIpv6Literal(host) ? { ok: true, host, port: v6[2] as string } : { ok: false, why: "bad-ipv6", host };
  }
  const i = text.lastIndexOf(":");
  if (i < 0) return { ok: false, why: "no-colon" };
  const host = text.slice(0, i);
  const port = text.slice(i + 1);
  return host.includes(":") ? { ok: false, why: "unbracketed", port } : { ok: true, host, port };
}
