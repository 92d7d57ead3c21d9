// `--http=ADDR:PORT` (and `http = "ADDR:PORT"` in a config file): where the
// HTTP endpoint listens. Pure; a bad value gets one line naming the problem.
//
//   9100, :9100          127.0.0.1:9100 (loopback unless an address is given)
//   127.0.0.1:9100       an IPv4 address
//   [::1]:9100           an IPv6 address, in brackets
//   localhost:9100       the name localhost (loopback)
//   0.0.0.0:9100, [::]:9100   every interface: the status page, /metrics and /api/status are then open to the network
// PORT is 0..65535 (0: a free port chosen by the kernel, for tests). Host names
// other than localhost are refused: lazarus resolves no names to listen.
import { splitHostPort } from "../text/host-port.ts";

export interface HttpAddress {
  /** As Bun's HTTP server wants it: "127.0.0.1", "::1", "0.0.0.0", "localhost". */
  readonly hostname: string;
  readonly port: number;
  /** Only loopback clients can reach it (and the endpoint accepts only loopback Host names). */
  readonly loopback: boolean;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4(s: string): boolean {
  const m = IPV4.exec(s);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255 && !(o.length > 1 && o.startsWith("0")));
}

function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (ipv4(host)) return host.startsWith("127.");
  try {
    return new URL(`http://[${host}]/`).hostname === "[::1]";
  } catch {
    return false;
  }
}

export function parseHttpAddress(text: string): HttpAddress | string {
  const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
  const bad = (why: string) => `--http=${shown.slice(1, -1)}: ${why}`;
  let host: string;
  let port: string;
  if (/^\d*$/.test(text) || (text.startsWith(":") && !text.slice(1).includes(":"))) {
    host = "127.0.0.1";
    port = text.startsWith(":") ? text.slice(1) : text;
  } else {
    const split = splitHostPort(text);
    if (!split.ok) {
      switch (split.why) {
        case "bad-ipv6": return bad(`${JSON.stringify(split.host)} is not an IPv6 address`);
        case "no-colon": return bad("expected ADDR:PORT, :PORT or PORT");
        case "unbracketed": return bad("an IPv6 address goes in brackets: [::1]:PORT");
      }
    }
    ({ host, port } = split);
    if (!text.startsWith("[") && host !== "localhost" && !ipv4(host)) return bad(`${JSON.stringify(host)} is not an IPv4 address, [IPv6] or localhost`);
  }
  if (port === "") return bad("no port (ADDR:PORT, :PORT or PORT)");
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return bad(`${JSON.stringify(port)} is not a port (0 to 65535)`);
  return { hostname: host, port: Number(port), loopback: isLoopback(host) };
}

/** "127.0.0.1:9100", "[::1]:9100". */
export function formatHttpAddress(a: { readonly hostname: string; readonly port: number }): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}
