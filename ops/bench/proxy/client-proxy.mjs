// One minimal pass-through proxy per upstream HTTP client, to pick the proxy's client on numbers.
// node client-proxy.mjs <http|undici|got> <upstreamPort>   (prints its port)
import http from 'node:http';

const [client, upstreamPort] = process.argv.slice(2);
const origin = `http://127.0.0.1:${upstreamPort}`;
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);
const strip = (h) => Object.fromEntries(Object.entries(h).filter(([k]) => !HOP.has(k)));

async function makeForwarder() {
  if (client === 'http') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
    return (req, res) => {
      const up = http.request({ host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers: strip(req.headers), agent }, (ur) => {
        res.writeHead(ur.statusCode, strip(ur.headers));
        ur.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
  }
  if (client === 'undici') {
    const { Pool } = await import('undici');
    const pool = new Pool(origin, { connections: 64, pipelining: 1 });
    return (req, res) => {
      pool.stream({ path: req.url, method: req.method, headers: strip(req.headers), body: req }, ({ statusCode, headers }) => {
        res.writeHead(statusCode, strip(headers));
        return res;
      }).catch(() => res.destroy());
    };
  }
  if (client === 'got') {
    const { default: got } = await import('got');
    const agent = { http: new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 }) };
    return (req, res) => {
      const up = got.stream(`${origin}${req.url}`, { method: req.method, headers: strip(req.headers), agent, retry: { limit: 0 }, throwHttpErrors: false, decompress: false });
      up.on('response', (ur) => res.writeHead(ur.statusCode, strip(ur.headers)));
      up.on('error', () => res.destroy());
      req.pipe(up).pipe(res);
    };
  }
  throw new Error(`unknown client ${client}; use http, undici or got`);
}

const server = http.createServer(await makeForwarder());
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
