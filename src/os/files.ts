// Reading the files a user names (config file, Procfile, .env file, token
// file) for the boot path: the production FileReader (src/config/load.ts).
// Only a regular file, at most TEXT_LIMIT bytes, never blocking on a FIFO
// (read-limited.ts).
import type { FileReader } from "../config/load.ts";
import { readLimited, TEXT_LIMIT } from "./read-limited.ts";

export const bunFiles: FileReader = {
  readFile: (path, name) => readLimited(path, TEXT_LIMIT, name),
};
