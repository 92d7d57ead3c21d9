// Everything the bench starts is registered here and torn down even on failure or
// on Ctrl-C: the bench never leaves a supervisor, daemon or server behind.

type Task = () => Promise<void> | void;
const tasks: Task[] = [];
let installed = false;

/** Register a teardown; returns a function that runs and unregisters it now. */
export function onCleanup(task: Task): () => Promise<void> {
  tasks.push(task);
  install();
  return async () => {
    const i = tasks.indexOf(task);
    if (i < 0) return;
    tasks.splice(i, 1);
    await task();
  };
}

/** Run every registered teardown, newest first. */
export async function cleanupAll(): Promise<void> {
  while (tasks.length > 0) {
    const task = tasks.pop() as Task;
    try {
      await task();
    } catch (e) {
      process.stderr.write(`bench: cleanup failed: ${String(e)}\n`);
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      process.stderr.write(`bench: ${signal}, cleaning up\n`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}
