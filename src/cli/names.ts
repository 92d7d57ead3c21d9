// Human names for servers given in braces: the base name of the command, with
// a suffix where two servers share one ("sleep", "sleep-2"). Names already
// taken by servers of a config file or a Procfile (`reserved`) are avoided too.

export function serverNames(argvs: readonly (readonly string[])[], reserved: Iterable<string> = []): string[] {
  const bases = argvs.map((argv) => baseName(argv[0] ?? "server"));
  const taken = new Set<string>(reserved);
  const seen = new Map<string, number>();
  return bases.map((base) => {
    let n = seen.get(base) ?? 0;
    let name: string;
    do {
      n++;
      name = n === 1 ? base : `${base}-${n}`;
    } while (taken.has(name));
    seen.set(base, n);
    taken.add(name);
    return name;
  });
}

function baseName(word: string): string {
  const parts = word.split("/").filter((p) => p !== "");
  const last = parts[parts.length - 1] ?? "";
  const clean = last.replace(/[^A-Za-z0-9_.@+-]/g, "_");
  return clean === "" || /^\d+$/.test(clean) ? `server${clean}` : clean;
}
