// The control client: one request line out, one reply line back.

export type ClientResult =
  | { readonly ok: true; readonly reply: Record<string, unknown> }
  | { readonly ok: false; readonly error: string };

export function request(path: string, body: Record<string, unknown>, timeoutMs = 5000): Promise<ClientResult> {
  return new Promise((resolve) => {
    let done = false;
    let buf = "";
    const finish = (r: ClientResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `no answer from ${path} within ${timeoutMs / 1000} s` }), timeoutMs);
    const notThere = (e: unknown) => {
      const code = (e as { code?: string } | null)?.code;
      const why = code === "ENOENT" ? "no such socket" : code === "ECONNREFUSED" ? "nothing listening (a stale socket)" : code === "EACCES" ? "permission denied" : String((e as Error)?.message ?? e);
      finish({ ok: false, error: `no supervisor at ${path}: ${why}` });
    };
    Bun.connect({
      unix: path,
      socket: {
        open(s) {
          s.write(`${JSON.stringify(body)}\n`);
        },
        data(s, chunk) {
          buf += chunk.toString("utf8");
          const nl = buf.indexOf("\n");
          if (nl < 0) return;
          try {
            finish({ ok: true, reply: JSON.parse(buf.slice(0, nl)) as Record<string, unknown> });
          } catch {
            finish({ ok: false, error: `unreadable answer from ${path}` });
          }
          s.end(); // (its close handler runs at once, after the answer was taken)
        },
        close() {
          finish({ ok: false, error: `${path} closed the connection without answering` });
        },
        connectError(_s, e) {
          notThere(e);
        },
        error(_s, e) {
          notThere(e);
        },
      },
    }).catch(notThere);
  });
}
