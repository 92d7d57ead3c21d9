// The client side of sd_notify, for lazarus itself under systemd (issue 14):
// one datagram to the socket NOTIFY_SOCKET names, a filesystem path or an
// abstract name (`@name`). Never blocks: a manager that does not keep up gets
// EAGAIN, said in the returned reason, and nothing waits. One socket, opened
// at the first send and kept (close-on-exec: a re-exec'd image opens its own).
import { encodeBytes } from "../text/bytes.ts";
import { datagramSocket, sendDatagram } from "./libc.ts";
import { unixAddress } from "./unix-address.ts";

let socketFd: number | null = null;
const addresses = new Map<string, Uint8Array | string>();

/** Send `text` (e.g. "READY=1\nSTATUS=3 servers running") to `socketPath`: null when sent, else the reason (one line). */
export function sdNotify(socketPath: string, text: string): string | null {
  let address = addresses.get(socketPath);
  if (address === undefined) {
    address = unixAddress(socketPath);
    if (addresses.size < 8) addresses.set(socketPath, address);
  }
  if (typeof address === "string") return `NOTIFY_SOCKET: ${address}`;
  if (socketFd === null) {
    const fd = datagramSocket(true);
    if (typeof fd === "string") return `sd_notify: ${fd}`;
    socketFd = fd;
  }
  const problem = sendDatagram(socketFd, encodeBytes(text), address);
  return problem === null ? null : `sd_notify to ${socketPath}: ${problem}`;
}
