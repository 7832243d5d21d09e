// Entry of the identification thread: the /proc scan and file hashing run here, off the proxy's event loop.
import { parentPort } from 'node:worker_threads';
import { createIdentifier, type Connection } from './index.js';

const identifier = createIdentifier();
parentPort?.on('message', ({ id, connection }: { id: number; connection: Connection }) => {
  try {
    parentPort?.postMessage({ id, callers: identifier.identify(connection) });
  } catch (err) {
    parentPort?.postMessage({ id, error: { code: (err as { code?: string }).code ?? 'ERR_INTERNAL_UNEXPECTED', message: (err as Error).message } });
  }
});
