// Blue/green drain: stop accepting (a green proxy holds the same listening sockets), finish what is in flight, then close.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How often idle keep-alive connections are closed while draining, in ms (a response that just finished leaves one idle). */
const IDLE_SWEEP_MS = 50;

/**
 * Closes the listening servers, answers every further request on a kept-alive connection with `Connection: close`,
 * closes idle connections as they become idle, and waits for the rest up to maxMs; returns how many it had to cut.
 */
export async function drainServers(servers: readonly Server[], maxMs: number): Promise<{ closedEarly: number }> {
  const closeAfterReply = (_req: IncomingMessage, res: ServerResponse) => res.setHeader('connection', 'close');
  const closed = servers.map(
    (s) =>
      new Promise<void>((resolve) => {
        s.on('request', closeAfterReply);
        if (!s.listening) return resolve();
        s.close(() => resolve());
      }),
  );
  const sweep = setInterval(() => servers.forEach((s) => s.closeIdleConnections()), IDLE_SWEEP_MS);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), maxMs)));
  const late = await Promise.race([Promise.all(closed).then(() => false), timedOut]);
  clearInterval(sweep);
  clearTimeout(timer);
  if (!late) return { closedEarly: 0 };
  let open = 0;
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.getConnections((_e, n) => ((open += n), r())))));
  for (const s of servers) s.closeAllConnections();
  return { closedEarly: open };
}
