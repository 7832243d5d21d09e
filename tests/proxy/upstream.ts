// A real local HTTP server standing in for the provider: records what it saw, serves JSON and SSE.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** SSE exactly as a provider might send it: a comment, a ping, data, a mid-stream error event, in separate writes. */
export const SSE_CHUNKS = [
  ': keep-alive comment\n\n',
  'event: ping\ndata: {}\n\n',
  'data: {"id":"1","choices":[{"delta":{"content":"Hel"}}]}\n\n',
  'data: {"id":"1","choices":[{"delta":{"content":"lo"}}]}\n\n',
  'event: error\ndata: {"error":{"type":"overloaded_error"}}\n\n',
  'data: [DONE]\n\n',
];

export class Upstream {
  readonly seen: Seen[] = [];
  /** Set when a client of /stream/forever went away (the proxy aborted the upstream request). */
  foreverClosed = false;
  private constructor(readonly server: Server, readonly port: number) {}

  static async start(): Promise<Upstream> {
    let self: Upstream | undefined;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        self?.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const path = (req.url ?? '').split('?')[0];
        const wantsStream = body.includes('"stream":true');
        if (path?.endsWith('/chat/completions') && req.method === 'POST') return openaiChat(res, wantsStream, body.includes('"include_usage":true'));
        if (path?.includes('/fixture/')) return fixture(path.slice(path.indexOf('/fixture/') + 9), res);
        if (path?.endsWith('/v1/messages') && req.method === 'POST') return anthropicMessages(res, wantsStream);
        if (path?.endsWith('/stream/sse')) {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          let i = 0;
          const next = () => (i < SSE_CHUNKS.length ? (res.write(SSE_CHUNKS[i++]), setTimeout(next, 20)) : res.end());
          next();
          return;
        }
        if (path?.includes('/echo/')) return echo(path.slice(path.indexOf('/echo/') + 6), req.headers, res);
        if (path?.endsWith('/stream/forever')) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const timer = setInterval(() => res.write('data: tick\n\n'), 20);
          res.on('close', () => {
            clearInterval(timer);
            if (self) self.foreverClosed = true;
          });
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, path: req.url }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    self = new Upstream(server, (server.address() as AddressInfo).port);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

type Res = import('node:http').ServerResponse;

/** The credential the proxy presented, whichever header carried it. */
const credential = (h: IncomingHttpHeaders) => String(h.authorization ?? h['x-api-key'] ?? h['x-goog-api-key'] ?? '');
const jsonU = (s: string) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
const percent = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');

/**
 * A hostile or broken upstream that hands the request's credential back: `/echo/<how>`. how = body (the headers as
 * JSON), header (an x- header and Set-Cookie), sse (split over SSE writes, the key one byte per write), escaped (JSON
 * \u00XX and percent-encoded forms), gzip (compressed although the proxy asked for identity), trailer (in a trailer),
 * quiet-sse (no key; two events 300 ms apart, to see the first one arrive before the second is sent).
 */
function echo(how: string, h: IncomingHttpHeaders, res: Res): void {
  const cred = credential(h);
  const json = JSON.stringify({ you_sent: h });
  if (how === 'body') return void (res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }), res.end(json));
  if (how === 'header') return void (res.writeHead(200, { 'content-type': 'application/json', 'x-echo-authorization': cred, 'set-cookie': [`session=${cred}; Path=/`, 'theme=dark'] }), res.end('{"ok":true}'));
  if (how === 'escaped') return void (res.writeHead(200, { 'content-type': 'application/json' }), res.end(`{"a":"${jsonU(cred)}","b":"${percent(cred)}","c":"${cred.replace(/-/g, '\\u002d')}"}`));
  if (how === 'gzip') return void (res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }), res.end(gzipSync(json)));
  if (how === 'trailer') {
    res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-echo' });
    res.addTrailers({ 'x-echo': cred });
    return void res.end('ok');
  }
  if (how === 'quiet-sse') return sse(res, ['data: first\n\n', 'data: second\n\n'], 300);
  const key = cred.replace(/^Bearer /, '');
  const frames = ['data: {"delta":"Bearer ', ...key.slice(0, 10).split(''), key.slice(10, 30), ...key.slice(30).split(''), '"}\n\n', `data: {"again":"${key.slice(0, 7)}`, `${key.slice(7)}"}\n\n`, 'data: [DONE]\n\n'];
  sse(res, frames, 2);
}

function sse(res: Res, frames: string[], gapMs = 5): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let i = 0;
  const next = () => (i < frames.length ? (res.write(frames[i++]), setTimeout(next, gapMs)) : res.end());
  next();
}

/**
 * OpenAI chat completions as the real API shapes them: JSON with usage; a stream with usage only when asked
 * (stream_options.include_usage: then every chunk carries "usage":null and a usage chunk with empty choices comes last).
 */
function openaiChat(res: Res, stream: boolean, includeUsage: boolean): void {
  const base = { id: 'chatcmpl-1', created: 1, model: 'gpt-test' };
  const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop', logprobs: null }], usage }));
    return;
  }
  const nullUsage = includeUsage ? { usage: null } : {};
  const chunk = (delta: object, finish: string | null) => `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...nullUsage })}\n\n`;
  const usageChunk = includeUsage ? [`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`] : [];
  sse(res, [chunk({ role: 'assistant', content: '' }, null), chunk({ content: 'Hel' }, null), chunk({ content: 'lo!' }, null), chunk({}, 'stop'), ...usageChunk, 'data: [DONE]\n\n']);
}

/** Anthropic messages as the real API shapes them (JSON, or the named-event stream). */
function anthropicMessages(res: Res, stream: boolean): void {
  const message = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', stop_sequence: null };
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...message, content: [{ type: 'text', text: 'Hello!' }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 2 } }));
    return;
  }
  const ev = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
  sse(res, [
    ev('message_start', { message: { ...message, content: [], stop_reason: null, usage: { input_tokens: 3, output_tokens: 0 } } }),
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ev('ping', {}),
    ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hel' } }),
    ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'lo!' } }),
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }),
    ev('message_stop', {}),
  ]);
}

/** A provider's real body (tests/fixtures/provider-bodies), as JSON or SSE by its extension. */
function fixture(name: string, res: Res): void {
  if (!/^[a-z0-9-]+\.(json|sse)$/.test(name)) return void res.writeHead(404).end();
  const body = readFileSync(new URL(`../fixtures/provider-bodies/${name}`, import.meta.url));
  res.writeHead(200, { 'content-type': name.endsWith('.sse') ? 'text/event-stream' : 'application/json' });
  res.end(body);
}
