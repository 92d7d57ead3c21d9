// The token file, the Authorization header, and the comparison.
import { expect, test } from "bun:test";
import { parseTokenFile, readAuthorization, tokenChecker } from "../../src/http/auth.ts";

const GOOD = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==";

test("a token file holds one token of 16 to 1024 b64token characters, a final line feed allowed", () => {
  expect(parseTokenFile(`${GOOD}\n`, "t")).toEqual({ ok: true, token: GOOD });
  expect(parseTokenFile(`${GOOD}\r\n`, "t")).toEqual({ ok: true, token: GOOD });
  expect(parseTokenFile("abc-DEF_ghi.jkl~mno+pqr/stu", "t")).toEqual({ ok: true, token: "abc-DEF_ghi.jkl~mno+pqr/stu" });
  const refusals: [string, RegExp][] = [
    ["", /empty/],
    ["\n", /empty/],
    ["short", /5 characters; it needs at least 16/],
    [`${GOOD}\n${GOOD}\n`, /one line/],
    [`${GOOD} with spaces`, /may hold only/],
    [`${"a".repeat(1025)}`, /longer than 1024/],
    [`=${GOOD}`, /may hold only/],
  ];
  for (const [text, why] of refusals) {
    const r = parseTokenFile(text, "/run/secrets/token");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(why);
      expect(r.error).toStartWith("--http-token-file=/run/secrets/token: ");
      expect(r.error).not.toContain("\n");
    }
  }
});

test("the Authorization header: none, malformed (scheme, shape, characters, length) or a bearer token", () => {
  expect(readAuthorization(null)).toEqual({ kind: "none" });
  expect(readAuthorization(`Bearer ${GOOD}`)).toEqual({ kind: "bearer", token: GOOD });
  expect(readAuthorization(`BEARER  ${GOOD}`)).toEqual({ kind: "bearer", token: GOOD });
  for (const h of ["", "Bearer", `Basic ${GOOD}`, `Bearer ${GOOD} extra`, "Bearer t\u00e9st", `Bearer ${"a".repeat(2000)}`, "Bearer ;DROP"]) {
    expect(readAuthorization(h).kind).toBe("malformed");
  }
});

test("the checker accepts the token and nothing else (prefixes, extensions, case)", () => {
  const check = tokenChecker(GOOD);
  expect(check(GOOD)).toBe(true);
  for (const g of ["", GOOD.slice(0, -1), `${GOOD}=`, GOOD.toLowerCase(), GOOD.replace("Z", "Y")]) expect(check(g)).toBe(false);
});
