// Reading the files a user names (config file, Procfile, .env file) for the
// boot path: the production FileReader (src/config/load.ts).
import { readFileSync } from "node:fs";
import type { FileRead, FileReader } from "../config/load.ts";
import { messageOf } from "../core/values.ts";

const WHY: Readonly<Record<string, string>> = {
  ENOENT: "no such file", EACCES: "permission denied", EISDIR: "it is a directory", ENOTDIR: "a part of its path is not a directory",
};

export const bunFiles: FileReader = {
  readFile(path: string): FileRead {
    try {
      return { ok: true, text: readFileSync(path, "utf8") };
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      const reason = typeof code === "string" && WHY[code] !== undefined ? `${WHY[code]} (${code})` : messageOf(e);
      return { ok: false, missing: code === "ENOENT", error: `cannot read it: ${reason}.` };
    }
  },
};
