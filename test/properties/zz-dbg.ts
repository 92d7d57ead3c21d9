import { runScenario } from "./check.ts";
const sc = JSON.parse(await Bun.file(process.argv[2]!).text());
try { const r = runScenario(sc); console.log("ok", r.steps); } catch (e) { console.log(String(e)); }
