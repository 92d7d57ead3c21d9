// The version printed by --version and shown in the re-exec log (bump on release).
export const VERSION = "0.1.0";
