// Linux: the processes holding a connection's client end (sock_diag + /proc/<pid>/fd), each with what it executed.
import { readlinkSync } from 'node:fs';
import { SockDiag, TcpDump } from '@raypher/shared/native';
import type { Caller, Listener } from './decide.js';
import type { ExecLedger } from './exec-ledger.js';
import { FileHasher } from './file-hash.js';
import { HolderScan, type Holder } from './holders.js';
import type { CallerSource, Connection } from './index.js';
import { readProcessFacts, startTimeOf } from './process-facts.js';
import { SocketOwnerLookup } from './proc-net.js';

export class LinuxCallers implements CallerSource {
  private readonly owners = new SocketOwnerLookup();
  private readonly diag = new SockDiag();
  private readonly dump = new TcpDump();

  constructor(private readonly ledger: ExecLedger, private readonly hasher: FileHasher) {}

  /** The last /proc scan: it answers connections asked about before it began. */
  private scan: HolderScan | null = null;
  /** The listening TCP sockets, dumped once per scan and only when a holder holds another socket than the connection. */
  private listening: { scan: HolderScan; byInode: Map<number, Listener> } | null = null;

  callers(connection: Connection): Caller[] {
    const owner = connection.kind === 'tcp' ? this.owners.find(connection.client, connection.server) : this.unixOwner(connection.serverFd, connection.uid);
    if (!owner) return [];
    const scan = this.scanFor(owner.uid, connection.askedNs);
    return scan.holders(owner.inode).flatMap((h) => this.describe(h, owner, this.listenersOf(scan, h.pid, owner.inode)));
  }

  /** The holder's listening TCP sockets. A failed dump throws ERR_NATIVE_CALL: the identification fails closed. */
  private listenersOf(scan: HolderScan, pid: number, connection: number): Listener[] {
    const sockets = scan.socketsOf(pid);
    if (!sockets.some((s) => s !== connection)) return []; // the usual agent: nothing else to look up
    if (this.listening?.scan !== scan) this.listening = { scan, byInode: new Map(this.dump.listening().map((l) => [l.inode, l])) };
    const byInode = this.listening.byInode;
    return sockets.flatMap((s) => byInode.get(s) ?? []);
  }

  /**
   * A scan that began after the question was asked sees every hand-over made before it, as a scan of its own would:
   * re-checks of many connections queued together share one. Without an ask time, always a fresh scan.
   */
  private scanFor(uid: number, askedNs: bigint | undefined): HolderScan {
    const last = this.scan;
    if (last && askedNs !== undefined && last.uid === uid && last.startedNs > askedNs) return last;
    this.scan = new HolderScan(uid);
    return this.scan;
  }

  /** The client end of a unix socket connection: its inode from our end's (sock_diag UNIX_DIAG_PEER). */
  private unixOwner(serverFd: number, uid: number): { inode: number; uid: number } | null {
    const ours = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${serverFd}`));
    const peer = ours ? this.diag.unixPeer(Number(ours[1])) : null;
    return peer === null ? null : { inode: peer, uid };
  }

  private describe(h: Holder, { uid, inode }: { uid: number; inode: number }, listeners: Listener[]): Caller[] {
    try {
      const startTime = startTimeOf(h.pid);
      const record = this.ledger.active ? this.ledger.lookup(h.pid, startTime) : null;
      const facts = record ?? readProcessFacts(h.pid);
      const exeHash = this.hasher.hash(`/proc/${h.pid}/exe`);
      if (startTimeOf(h.pid) !== startTime) return []; // pid reused while we looked
      const inherited = h.inherited || (record?.inheritedSockets.includes(inode) ?? false);
      return [{ ...facts, uid, exeHash, source: record ? 'exec' : 'proc', execNs: record?.execNs ?? null, inherited, listeners }];
    } catch {
      return []; // exited while we looked
    }
  }
}
