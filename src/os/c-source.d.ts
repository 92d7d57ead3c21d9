// A C source file imported `with { type: "file" }` (spawn-vfork.ts): Bun gives its path,
// and a `bun build --compile` binary embeds the file.
declare module "*.c" {
  const path: string;
  export default path;
}
