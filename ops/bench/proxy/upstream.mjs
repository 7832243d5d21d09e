// Mock provider for the proxy benchmark: zero-delay JSON, and SSE with 64 chunks 20 ms apart; like the real API, a
// stream asked for usage (stream_options.include_usage) carries "usage":null on each chunk and a usage chunk last.
import http from 'node:http';

const json = JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
const server = http.createServer((req, res) => {
  let text = '';
  req.on('data', (d) => (text += d));
  req.on('end', () => {
    if (text.includes('"stream":true')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const usage = text.includes('"include_usage":true');
      let i = 0;
      const tick = () => {
        res.write(`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"bench","choices":[{"index":0,"delta":{"content":"t${i}"},"finish_reason":null}]${usage ? ',"usage":null' : ''}}\n\n`);
        if (++i < 64) setTimeout(tick, 20);
        else res.end(`${usage ? 'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"bench","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":64,"total_tokens":65}}\n\n' : ''}data: [DONE]\n\n`);
      };
      tick();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
