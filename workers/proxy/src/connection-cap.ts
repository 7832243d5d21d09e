// Open client connections counted per uid, so one uid (2,000 slow-header connections) cannot exhaust the proxy.
import type { Socket } from 'node:net';
import { peerCred } from '@raypher/shared/native';
import { SocketOwnerLookup } from './identity/proc-net.js';

/** uid counted for a connection whose owner could not be found (it closed at once): capped like any other. */
const UNKNOWN_UID = -1;

export type Admission = { ok: true; uid: number } | { ok: false; uid: number; open: number };

export class ConnectionCap {
  private readonly open = new Map<number, number>();
  private readonly owners = new SocketOwnerLookup();

  /** Counts a new connection under its uid (netlink sock_diag for TCP, ~0.01 ms; SO_PEERCRED for the unix socket); refused at `max`. */
  admit(socket: Socket, max: number): Admission {
    const uid = this.uidOf(socket);
    const open = this.open.get(uid) ?? 0;
    if (open >= max) return { ok: false, uid, open };
    this.open.set(uid, open + 1);
    socket.once('close', () => {
      const left = (this.open.get(uid) ?? 1) - 1;
      if (left <= 0) this.open.delete(uid);
      else this.open.set(uid, left);
    });
    return { ok: true, uid };
  }

  close(): void {
    this.owners.close();
  }

  private uidOf(socket: Socket): number {
    try {
      if (socket.remoteAddress === undefined && socket.localPort === undefined) return peerCred(socket).uid;
      const client = { ip: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
      const server = { ip: socket.localAddress ?? '', port: socket.localPort ?? 0 };
      return this.owners.find(client, server)?.uid ?? UNKNOWN_UID;
    } catch {
      return UNKNOWN_UID;
    }
  }
}
