// Parsing one sd_notify datagram (notify-message.ts): the keys systemd reads,
// unknown ones ignored, garbage reported and skipped without losing the rest.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MAX_ERRORS, parseNotifyMessage } from "../../src/os/notify-message.ts";
import { budget } from "../properties/budget.ts";

const NOTHING = {
  ready: false, reloading: false, stopping: false, watchdog: false, watchdogTrigger: false, watchdogUsec: null, status: null, mainpid: null, errno: null, errors: [],
};

describe("parseNotifyMessage", () => {
  test("the common datagrams", () => {
    expect(parseNotifyMessage("READY=1")).toEqual({ ...NOTHING, ready: true });
    expect(parseNotifyMessage("READY=1\nSTATUS=listening on :8080\n")).toEqual({ ...NOTHING, ready: true, status: "listening on :8080" });
    expect(parseNotifyMessage("WATCHDOG=1")).toEqual({ ...NOTHING, watchdog: true });
    expect(parseNotifyMessage("WATCHDOG=trigger")).toEqual({ ...NOTHING, watchdogTrigger: true });
    expect(parseNotifyMessage("STOPPING=1\nSTATUS=draining")).toEqual({ ...NOTHING, stopping: true, status: "draining" });
    expect(parseNotifyMessage("RELOADING=1\nMONOTONIC_USEC=123")).toEqual({ ...NOTHING, reloading: true });
    expect(parseNotifyMessage("MAINPID=4242")).toEqual({ ...NOTHING, mainpid: 4242 });
    expect(parseNotifyMessage("ERRNO=2\nSTATUS=no config")).toEqual({ ...NOTHING, errno: 2, status: "no config" });
    expect(parseNotifyMessage("WATCHDOG_USEC=20000000")).toEqual({ ...NOTHING, watchdogUsec: 20000000 });
    expect(parseNotifyMessage("")).toEqual(NOTHING);
  });

  test("STATUS keeps everything after the first `=` (spaces, more `=`), empty included; the first one counts, as in systemd", () => {
    expect(parseNotifyMessage("STATUS= a=b  c ").status).toBe(" a=b  c ");
    expect(parseNotifyMessage("STATUS=").status).toBe("");
    expect(parseNotifyMessage("STATUS=one\nSTATUS=two").status).toBe("one");
  });

  test("unknown keys are ignored silently (FDSTORE=1, BARRIER=1, X_MINE=…)", () => {
    expect(parseNotifyMessage("FDSTORE=1\nFDNAME=sock\nBARRIER=1\nX_MINE=whatever\nREADY=1")).toEqual({ ...NOTHING, ready: true });
  });

  test("garbage is reported, one line each, and skipped: the rest still counts", () => {
    const m = parseNotifyMessage("hello\nREADY=1\n=oops\nMAINPID=abc\nMAINPID=-3\nWATCHDOG=2\nREADY=yes\nSTATUS=ok");
    expect(m.ready).toBe(true);
    expect(m.status).toBe("ok");
    expect(m.mainpid).toBeNull();
    expect(m.errors).toHaveLength(MAX_ERRORS);
    expect(m.errors[0]).toBe('line 1 is not KEY=VALUE: "hello"');
    expect(m.errors[1]).toBe('line 3 is not KEY=VALUE: "=oops"');
    expect(m.errors[2]).toBe('MAINPID="abc" is not a pid');
    expect(m.errors[3]).toBe("and 3 more lines skipped");
  });

  test("numbers: digits only, in range", () => {
    expect(parseNotifyMessage("MAINPID=0").errors).toEqual(['MAINPID="0" is not a pid']);
    expect(parseNotifyMessage("MAINPID= 12").mainpid).toBeNull();
    expect(parseNotifyMessage("MAINPID=99999999999").mainpid).toBeNull();
    expect(parseNotifyMessage("MAINPID=2147483647").mainpid).toBe(2147483647);
    expect(parseNotifyMessage("WATCHDOG_USEC=0").watchdogUsec).toBeNull();
    expect(parseNotifyMessage("ERRNO=0").errno).toBe(0);
  });

  test("an error line shows a long or strange value quoted and cut short", () => {
    const [e] = parseNotifyMessage(`READY=${"\u0007".repeat(100)}`).errors;
    expect(e).toBe(`READY="${"\\u0007".repeat(40)}…": only READY=1 means anything`);
    expect(e).not.toContain("\n");
  });

  test("any text: never throws, errors bounded and one line each", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
      const m = parseNotifyMessage(text);
      expect(m.errors.length).toBeLessThanOrEqual(MAX_ERRORS);
      for (const e of m.errors) expect(e).not.toContain("\n");
      expect(m.ready).toBe(text.split("\n").includes("READY=1"));
    }), budget(200));
  });
});
