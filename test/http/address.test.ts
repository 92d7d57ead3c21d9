// --http=ADDR:PORT.
import { expect, test } from "bun:test";
import { formatHttpAddress, parseHttpAddress } from "../../src/http/address.ts";

test("PORT and :PORT mean loopback; an address is taken as given", () => {
  expect(parseHttpAddress("9100")).toEqual({ hostname: "127.0.0.1", port: 9100, loopback: true });
  expect(parseHttpAddress(":9100")).toEqual({ hostname: "127.0.0.1", port: 9100, loopback: true });
  expect(parseHttpAddress("127.0.0.1:0")).toEqual({ hostname: "127.0.0.1", port: 0, loopback: true });
  expect(parseHttpAddress("127.8.9.10:80")).toEqual({ hostname: "127.8.9.10", port: 80, loopback: true });
  expect(parseHttpAddress("localhost:9100")).toEqual({ hostname: "localhost", port: 9100, loopback: true });
  expect(parseHttpAddress("[::1]:9100")).toEqual({ hostname: "::1", port: 9100, loopback: true });
  expect(parseHttpAddress("[0:0:0:0:0:0:0:1]:9100")).toMatchObject({ loopback: true });
  expect(parseHttpAddress("0.0.0.0:9100")).toEqual({ hostname: "0.0.0.0", port: 9100, loopback: false });
  expect(parseHttpAddress("10.1.2.3:65535")).toEqual({ hostname: "10.1.2.3", port: 65535, loopback: false });
  expect(parseHttpAddress("[::]:9100")).toEqual({ hostname: "::", port: 9100, loopback: false });
});

test("bad values get one line naming the problem", () => {
  const cases: [string, RegExp][] = [
    ["", /no port/],
    [":", /no port/],
    ["127.0.0.1:", /no port/],
    ["65536", /"65536" is not a port/],
    ["127.0.0.1:http", /"http" is not a port/],
    ["example.com:9100", /"example.com" is not an IPv4 address, \[IPv6\] or localhost/],
    ["256.0.0.1:80", /is not an IPv4 address/],
    ["01.2.3.4:80", /is not an IPv4 address/],
    ["::1:9100", /in brackets/],
    ["[::g]:9100", /"::g" is not an IPv6 address/],
    ["localhost", /expected ADDR:PORT/],
    ["-1", /expected ADDR:PORT/],
    [`${"x".repeat(200)}:1`, /…/],
  ];
  for (const [text, why] of cases) {
    const r = parseHttpAddress(text);
    expect(typeof r).toBe("string");
    expect(r as string).toMatch(why);
    expect(r as string).toStartWith("--http=");
    expect(r as string).not.toContain("\n");
  }
});

test("formatting puts IPv6 in brackets", () => {
  expect(formatHttpAddress({ hostname: "::1", port: 80 })).toBe("[::1]:80");
  expect(formatHttpAddress({ hostname: "127.0.0.1", port: 80 })).toBe("127.0.0.1:80");
});
