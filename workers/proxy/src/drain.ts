// Blue/green drain: stop accepting (a green proxy holds the same listening sockets), finish what is in flight, then close.
//
// A connection is closed by the drain only after a response that carried `Connection: close` (node ends the socket once
// that response is written), so the client knows not to send on it again. An idle kept-alive connection is never
// swept: the client may be writing its next request on it at that instant, and closing it would reset that request.
// Its next request is answered on it with `Connection: close`, and the client opens the one after on a new connection,
// which green accepts. Only what is still open after the bounded drain time is cut, and counted.
import { Server as NetServer, type Socket } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

interface Tracked {
  /** Responses on this connection that have not closed yet. */
  readonly responses: Set<ServerResponse>;
  /** A CONNECT or upgrade turned it into a tunnel: busy until it closes. */
  tunnel: boolean;
}

/** What a drain had to cut when its time ran out: connections with a request in flight, and idle ones. */
export interface DrainOutcome {
  closedEarly: number;
  cutInFlight: number;
  cutIdle: number;
}

/** Tracks a server's connections from its creation, so a drain knows every connection and which ones are busy. */
export class ConnectionDrain {
  private readonly conns = new Map<Socket, Tracked>();
  private readonly servers: Server[] = [];
  private draining = false;
  private onEmpty: (() => void) | null = null;

  /** Call right after createServer, before it listens. */
  watch(server: Server): void {
    this.servers.push(server);
    server.on('connection', (socket: Socket) => {
      this.conns.set(socket, { responses: new Set(), tunnel: false });
      socket.once('close', () => {
        this.conns.delete(socket);
        if (this.conns.size === 0) this.onEmpty?.();
      });
    });
    // First listener: the header is set before the handler can start the response.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const t = this.conns.get(req.socket);
      t?.responses.add(res);
      res.once('close', () => t?.responses.delete(res));
      if (this.draining) closeAfter(res);
    });
    const tunnel = (req: IncomingMessage) => {
      const t = this.conns.get(req.socket);
      if (t) t.tunnel = true;
    };
    server.prependListener('connect', tunnel);
    server.prependListener('upgrade', tunnel);
  }

  /**
   * Stops accepting, answers every further request with `Connection: close`, and waits until every connection has been
   * closed after such a response (or by its client), up to maxMs; then cuts what is left and says how many.
   */
  async drain(maxMs: number): Promise<DrainOutcome> {
    this.draining = true;
    // net's close, not http's: http.Server.close() also closes idle connections, which is the race this avoids.
    for (const s of this.servers) if (s.listening) NetServer.prototype.close.call(s);
    // Responses not started yet still tell their client: the connection closes after them.
    for (const t of this.conns.values()) t.responses.forEach(closeAfter);
    if (this.conns.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.onEmpty = resolve;
        timer = setTimeout(resolve, maxMs);
      });
      clearTimeout(timer);
      this.onEmpty = null;
    }
    let cutInFlight = 0;
    let cutIdle = 0;
    for (const [socket, t] of this.conns) {
      if (t.tunnel || t.responses.size > 0) cutInFlight++;
      else cutIdle++;
      socket.destroy();
    }
    return { closedEarly: cutInFlight + cutIdle, cutInFlight, cutIdle };
  }
}

function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
}
