// The bench's command line (pure).

export const SECTIONS = ["latency", "fleet", "crashloop", "core"] as const;
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

  --quick        a shorter run (under 2 minutes): fewer samples and repeats
  --only=LIST    run only these sections (default: all)
  --peers=LIST   measure only these peers (default: every installed one; none: lazarus and floors only)
  --out=DIR      where to write latest.md and latest.json (default: bench/results)
`;

export const PEERS = ["runit", "s6", "supervisord", "pm2"] as const;

export function parseBenchArgs(args: readonly string[]): BenchArgs | string {
  let quick = false;
  let help = false;
  let only: SectionName[] = [...SECTIONS];
  let peers: string[] | null = null;
  let out: string | null = null;
  for (const a of args) {
    if (a === "--quick") quick = true;
    else if (a === "--help" || a === "-h") help = true;
    else if (a.startsWith("--only=")) {
      const list = a.slice("--only=".length).split(",").filter((x) => x !== "");
      const bad = list.find((x) => !(SECTIONS as readonly string[]).includes(x));
      if (bad !== undefined || list.length === 0) return `unknown section in ${a} (sections: ${SECTIONS.join(", ")})`;
      only = list as SectionName[];
    } else if (a.startsWith("--peers=")) {
      const list = a.slice("--peers=".length).split(",").filter((x) => x !== "");
      if (list.length === 1 && list[0] === "none") peers = [];
      else {
        const bad = list.find((x) => !(PEERS as readonly string[]).includes(x));
        if (bad !== undefined) return `unknown peer ${bad} (peers: ${PEERS.join(", ")}, or none)`;
        peers = list;
      }
    } else if (a.startsWith("--out=") && a.length > "--out=".length) out = a.slice("--out=".length);
    else return `unknown argument: ${a}`;
  }
  return { quick, only, peers, out, help };
}
