// Preloaded by bun test (bunfig.toml). The per-test timeout of 60 s (generous,
// for integration tests on a loaded 2-core machine) is given on the command
// line of `npm test` (`bun test --timeout 60000`): Bun 1.4.5 does not apply a
// setDefaultTimeout made in a preload to every file. Tests wait for events,
// never for fixed times; the timeout only bounds how long a broken one hangs.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);
