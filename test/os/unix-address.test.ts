// sockaddr_un from NOTIFY_SOCKET's spelling (unix-address.ts).
import { expect, test } from "bun:test";
import { unixAddress } from "../../src/os/unix-address.ts";

test("a filesystem path: family, the bytes, a NUL", () => {
  expect([...(unixAddress("/run/x") as Uint8Array)]).toEqual([1, 0, ...Buffer.from("/run/x"), 0]);
});

test("an abstract name: family, a NUL, the bytes (no NUL after)", () => {
  expect([...(unixAddress("@sys/notify") as Uint8Array)]).toEqual([1, 0, 0, ...Buffer.from("sys/notify")]);
});

test("limits and bad input, each a one-line reason", () => {
  expect(unixAddress(`/${"a".repeat(106)}`)).toBeInstanceOf(Uint8Array);
  expect(unixAddress(`/${"a".repeat(107)}`)).toBe(`AF_UNIX socket path is too long (108 bytes, at most 107): "/${"a".repeat(107)}"`);
  expect(unixAddress(`@${"a".repeat(107)}`)).toBeInstanceOf(Uint8Array);
  expect(unixAddress(`@${"a".repeat(108)}`)).toContain("name is too long");
  expect(unixAddress("")).toBe("empty AF_UNIX socket address");
  expect(unixAddress("/a\0b")).toContain("contains a NUL byte");
});
