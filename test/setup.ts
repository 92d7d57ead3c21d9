// Preloaded by bun test (bunfig.toml): a per-test timeout generous enough for
// integration tests on a loaded 2-core machine. Tests wait for events, never
// for fixed times; this only bounds how long a broken one hangs.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);
