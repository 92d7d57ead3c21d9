// The sockaddr_un of an AF_UNIX address as NOTIFY_SOCKET names it: a
// filesystem path, or an abstract name written `@name` (its first byte is NUL
// then, and the name is not NUL-terminated). Pure.
import { encodeBytes } from "../text/bytes.ts";

/** sun_path's size on Linux: a path has at most 107 bytes (with its NUL), an abstract name at most 107 after the NUL. */
const SUN_PATH = 108;
const AF_UNIX = 1;

/** The sockaddr_un (family, then the path or abstract name) to bind or send to, or a one-line reason. */
export function unixAddress(name: string): Uint8Array | string {
  if (name === "") return "empty AF_UNIX socket address";
  const abstract = name.startsWith("@");
  const bytes = encodeBytes(abstract ? name.slice(1) : name);
  if (!abstract && bytes.includes(0)) return `AF_UNIX socket path ${JSON.stringify(name)} contains a NUL byte`;
  // A path is NUL-terminated; an abstract name has a NUL first and none after.
  if (bytes.length + 1 > SUN_PATH) {
    return `AF_UNIX socket ${abstract ? "name" : "path"} is too long (${bytes.length} bytes, at most ${SUN_PATH - 1}): ${JSON.stringify(name)}`;
  }
  const addr = new Uint8Array(2 + bytes.length + 1);
  addr[0] = AF_UNIX; // sa_family, little-endian u16 (every port Bun runs on)
  addr.set(bytes, abstract ? 3 : 2);
  // A path's terminating NUL is part of the address length (as glibc's SUN_LEN + 1); an abstract name's length is exact.
  return addr;
}
