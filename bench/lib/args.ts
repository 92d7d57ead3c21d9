// The bench's command line (pure): --name=value or --name value.
import { parseToolArgs } from "../../test/helpers/tool-args.ts";

export const SECTIONS = ["latency", "fleet", "crashloop", "core", "idle"] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface BenchArgs {
  readonly quick: boolean;
  readonly only: readonly SectionName[];
  /** Names of the peers to run (lazarus always runs); all when absent. */
  readonly peers: readonly string[] | null;
  readonly out: string | null;
  readonly help: boolean;
}

export const BENCH_USAGE = `usage: bun run bench [--quick] [--only=${SECTIONS.join(",")}] [--peers=runit,s6,supervisord,pm2|none] [--out=DIR]
(--name value works as well as --name=value)

  --quick        a shorter run (about 2½ minutes): fewer samples and repeats
  --only=LIST    run only these sections (default: all)
  --peers=LIST   measure only these peers (default: every installed one; none: lazarus and floors only)
  --out=DIR      where to write latest.md and latest.json (default: bench/results)
`;

export const PEERS = ["runit", "s6", "supervisord", "pm2"] as const;

export function parseBenchArgs(args: readonly string[]): BenchArgs | string {
  const r = parseToolArgs(args, { quick: { type: "boolean" }, only: { type: "string" }, peers: { type: "string" }, out: { type: "string" } });
  if (r.kind === "help") return { quick: false, only: [...SECTIONS], peers: null, out: null, help: true };
  if (r.kind === "error") return r.message;
  const v = r.values as { quick?: boolean; only?: string; peers?: string; out?: string };
  let only: SectionName[] = [...SECTIONS];
  let peers: string[] | null = null;
  if (v.only !== undefined) {
    const list = v.only.split(",").filter((x) => x !== "");
    const bad = list.find((x) => !(SECTIONS as readonly string[]).includes(x));
    if (bad !== undefined || list.length === 0) return `unknown section in --only=${v.only} (sections: ${SECTIONS.join(", ")})`;
    only = list as SectionName[];
  }
  if (v.peers !== undefined) {
    const list = v.peers.split(",").filter((x) => x !== "");
    if (list.length === 1 && list[0] === "none") peers = [];
    else {
      const bad = list.find((x) => !(PEERS as readonly string[]).includes(x));
      if (bad !== undefined) return `unknown peer ${bad} (peers: ${PEERS.join(", ")}, or none)`;
      peers = list;
    }
  }
  if (v.out === "") return "--out needs a directory";
  return { quick: v.quick === true, only, peers, out: v.out ?? null, help: false };
}
