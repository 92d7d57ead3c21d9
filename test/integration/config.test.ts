// Config files, Procfiles, .env files and prefixed output, end to end: the real
// `bun run src/main.ts` on real fixtures, checked from the outside (its stdout
// and stderr, its exit status, the fixtures' own lines, /proc).
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, ROOT, Run, SERVER, waitGone } from "../helpers/run.ts";

const runs: Run[] = [];
function start(args: string[], opts: ConstructorParameters<typeof Run>[1] = {}): Run {
  const r = new Run(["--control=none", ...args], opts);
  runs.push(r);
  return r;
}
afterEach(async () => {
  for (const r of runs.splice(0)) await r.cleanup();
});

/** A scratch directory with links named after servers, all to the fixture (so its lines say which it is). */
let dir = "";
beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "lazarus-config-")));
  for (const name of ["clean", "crash", "steady", "chatty-a", "chatty-b", "flood"]) symlinkSync(SERVER, join(dir, name));
  mkdirSync(join(dir, "sub"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The JSON log records of a run (--log-format=json). */
function records(r: Run): Record<string, unknown>[] {
  return r.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A fixture's own line (`fixture: pid=...`), wherever a prefix put it. */
function fixtureLines(r: Run): string[] {
  return r.lines.flatMap((l) => {
    const m = /(?:^|\| )(fixture: pid=.*)$/.exec(l);
    return m ? [m[1] as string] : [];
  });
}

async function stopAndCheckClean(r: Run): Promise<void> {
  r.signal("SIGTERM");
  expect(await r.ended()).toEqual({ code: 0, signal: null });
  expect(await waitGone(r.fixturePids())).toEqual([]);
}

describe("the same fixtures by braces, TOML and Procfile", () => {
  // clean exits 0 (cremated), crash crashes too fast (buried, and again after a
  // revive), steady runs until the shutdown stops it.
  const servers = [
    ["clean", "--life=0.3", "tag=c"],
    ["crash", "--life=0.1", "--exit=3", "--initial-spawn", "tag=x"],
    ["steady", "tag=s"],
  ];

  async function scenario(r: Run) {
    await r.waitFor(/"event":"buried".*"name":"crash"|"name":"crash".*"event":"buried"/);
    await r.waitFor(/"event":"cremated"/);
    const mark = r.lines.length;
    r.signal("SIGUSR2");
    await r.waitFor(/"event":"buried"/, { from: mark });
    await stopAndCheckClean(r);
    // What each server went through, as the JSON log tells it, and what each fixture was given.
    const byName = new Map<string, string[]>();
    for (const rec of records(r)) {
      if (typeof rec.name !== "string") continue;
      const what = [rec.event, rec.from, rec.to, rec.code, rec.signal].filter((x) => x !== undefined).join(" ");
      byName.set(rec.name, [...(byName.get(rec.name) ?? []), what]);
    }
    const argvs = fixtureLines(r).map((l) => l.replace(/pid=\d+ /, "")).sort();
    return { byName: Object.fromEntries([...byName].sort()), argvs, end: records(r).at(-1)?.event };
  }

  test("behave identically: same names, same events, same arguments, same end", async () => {
    const common = ["--log-format=json", "--interval=5", "--stop-timeout=5"];
    const braces = start([...common, ...servers.flatMap(([cmd, ...args]) => ["{", `./${cmd}`, ...args, "}"])], { cwd: dir });
    const viaBraces = await scenario(braces);

    const toml = file("same.toml", servers.map(([cmd, ...args]) =>
      `[servers.${cmd}]\ncmd = ${JSON.stringify([`./${cmd}`, ...args])}\noutput = "inherit"\n`).join(""));
    const viaToml = await scenario(start([...common, `--config=${toml}`]));

    const procfile = file("Procfile.same", servers.map(([cmd, ...args]) => `${cmd}: ./${cmd} ${args.join(" ")}\n`).join(""));
    const viaProcfile = await scenario(start([...common, `--procfile=${procfile}`]));

    expect(Object.keys(viaBraces.byName)).toEqual(["clean", "crash", "steady"]);
    expect(viaBraces.byName).toEqual({
      clean: ["spawned starting alive", "cremated alive cremated 0"],
      crash: ["spawned starting alive", "exit 3", "buried alive buried 3", "spawned starting alive", "exit 3", "buried alive buried 3"],
      steady: ["spawned starting alive", "stopped alive cremated SIGTERM"],
    });
    expect(viaBraces.end).toBe("exiting");
    expect(viaToml).toEqual(viaBraces);
    expect(viaProcfile).toEqual(viaBraces);
    expect(viaBraces.argvs).toEqual([
      "fixture: name=clean argv: --life=0.3 tag=c",
      "fixture: name=crash argv: --life=0.1 --exit=3 --initial-spawn tag=x",
      "fixture: name=crash argv: --life=0.1 --exit=3 --respawn tag=x",
      "fixture: name=steady argv: tag=s",
    ]);
  });
});
