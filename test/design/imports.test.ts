// The shape of the code, checked: the layers import in one direction (main →
// shell → config, cli → control, http → core; the OS port and its Bun
// implementation in src/os beside the shell), the pure core imports nothing outside itself,
// and nothing but src/os and the entry point reaches the world directly (the
// simulator could not see it). tsconfig.core.json checks the core's purity at
// the type level; this checks the import graph.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { ROOT } from "../helpers/run.ts";

const SRC = join(ROOT, "src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Every module a file imports (static and dynamic), as written. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/gms)) out.push(m[1] as string);
  for (const m of text.matchAll(/^\s*import\s+["']([^"']+)["']/gm)) out.push(m[1] as string);
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1] as string);
  return out;
}

/** The layer of a file under src/ ("core", "config", …, or "main" for src/main.ts). */
function layer(path: string): string {
  const rel = relative(SRC, path);
  return rel.includes("/") ? (rel.split("/")[0] as string) : rel.replace(/\.ts$/, "");
}

const graph = files(SRC).map((file) => {
  const text = readFileSync(file, "utf8");
  return {
    file: relative(ROOT, file),
    layer: layer(file),
    text,
    imports: importsOf(text).map((spec) => (spec.startsWith(".") ? { local: true, spec, layer: layer(resolve(dirname(file), spec)) } : { local: false, spec, layer: spec })),
  };
});

/** Which layers each layer may import. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: ["core"],
  config: ["config", "http", "logs", "core", "version", "text"],
  control: ["control", "core", "version", "text"],
  cli: ["cli", "config", "control", "http", "logs", "core", "version", "text"],
  /** The HTTP endpoint's pure application (routes, metrics, the page): data in, data out. */
  http: ["http", "control", "core", "version", "text"],
  /** Pure helpers of log files: sizes, lines, timestamps, names. */
  logs: ["logs", "core", "version", "text"],
  os: ["os", "http", "logs", "config", "control", "cli", "core", "version", "text"],
  shell: ["shell", "os", "http", "logs", "config", "control", "cli", "core", "version", "text"],
  main: ["main", "shell", "os", "http", "logs", "config", "control", "cli", "core", "version", "text"],
  version: [],
  /** Pure text helpers (bytes carried in strings, printable forms) for every layer but the core (they need TextDecoder). */
  text: ["text"],
};

describe("the import graph", () => {
  test("the parser of this test sees imports in every form", () => {
    expect(importsOf(`import a from "./a.ts";\nimport type { B } from "../b.ts";\nexport { c } from "./c.ts";\nimport "./d.ts";\nconst e = await import("./e.ts");\nimport {\n  f,\n} from "node:fs";`))
      .toEqual(["./a.ts", "../b.ts", "./c.ts", "node:fs", "./d.ts", "./e.ts"]);
  });

  test("every layer imports only the layers below it (main → shell → config, cli, control → core; os beside the shell)", () => {
    const wrong = graph.flatMap((f) => f.imports
      .filter((i) => i.local && !(ALLOWED[f.layer] ?? []).includes(i.layer))
      .map((i) => `${f.file} (${f.layer}) imports ${i.spec} (${i.layer})`));
    expect(wrong).toEqual([]);
  });

  test("no module of src/config, src/cli, src/http, src/logs or src/core imports src/os or src/shell", () => {
    const wrong = graph.filter((f) => ["config", "cli", "http", "logs", "core"].includes(f.layer))
      .flatMap((f) => f.imports.filter((i) => i.local && (i.layer === "os" || i.layer === "shell")).map((i) => `${f.file} imports ${i.spec}`));
    expect(wrong).toEqual([]);
  });

  test("the pure core imports nothing outside itself: no runtime, no node: module, no package", () => {
    const wrong = graph.filter((f) => f.layer === "core").flatMap((f) => f.imports.filter((i) => !i.local || i.layer !== "core").map((i) => `${f.file} imports ${i.spec}`));
    expect(wrong).toEqual([]);
    expect(graph.filter((f) => f.layer === "core").length).toBeGreaterThan(5);
  });

  test("only src/os and the entry point reach the world (files, sockets, processes, the environment)", () => {
    const world = /process\.env|readFileSync|writeFileSync|from ["'](?:node:)?fs["']|from ["']bun:ffi["']|\bBun\.(?:connect|listen|serve|spawn|spawnSync|file|write|TOML)\b/;
    const wrong = graph.filter((f) => f.layer !== "os" && f.layer !== "main")
      .flatMap((f) => f.text.split("\n").flatMap((line, n) => (world.test(line) && !/^(\/\/|\/\*|\*)/.test(line.trim()) ? [`${f.file}:${n + 1}: ${line.trim()}`] : [])));
    expect(wrong).toEqual([]);
  });
});
