// The one split of "HOST:PORT" / "[IPv6]:PORT" (src/text/host-port.ts) that the
// tcp probe's config key and --http both use.
import { expect, test } from "bun:test";
import { isIpv6Literal, splitHostPort } from "../../src/text/host-port.ts";

test("host and port, at the last colon; IPv6 only in brackets", () => {
  expect(splitHostPort("db:5432")).toEqual({ ok: true, host: "db", port: "5432" });
  expect(splitHostPort("127.0.0.1:")).toEqual({ ok: true, host: "127.0.0.1", port: "" });
  expect(splitHostPort("[::1]:80")).toEqual({ ok: true, host: "::1", port: "80" });
  expect(splitHostPort("[nope]:80")).toEqual({ ok: false, why: "bad-ipv6", host: "nope" });
  expect(splitHostPort("::1:80")).toEqual({ ok: false, why: "unbracketed", port: "80" });
  expect(splitHostPort("5432")).toEqual({ ok: false, why: "no-colon" });
});

test("IPv6 literals", () => {
  expect(["::1", "::", "fe80::1", "::ffff:127.0.0.1"].map(isIpv6Literal)).toEqual([true, true, true, true]);
  expect(["", "1.2.3.4", "localhost", "::g", "[::1]"].map(isIpv6Literal)).toEqual([false, false, false, false, false]);
});
