// The proxy's Prometheus series (forwarded to /metrics by the supervisor).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Seconds (Prometheus base unit), from 0.1 ms to 5 s. */
const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

export function proxyMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({ name: 'raypher_proxy_requests_total', help: 'Forwarded requests by caller identity (allow-list entry), provider and upstream status', labelNames: ['identity', 'provider', 'status'], registers }),
    tokens: new Counter({ name: 'raypher_proxy_tokens_total', help: 'Tokens the providers reported, by caller identity, provider, model (priced models, else other) and kind', labelNames: ['identity', 'provider', 'model', 'kind'], registers }),
    denied: new Counter({ name: 'raypher_proxy_denied_total', help: 'Refused requests by reason', labelNames: ['reason'], registers }),
    overhead: new Histogram({ name: 'raypher_proxy_overhead_seconds', help: 'Time spent inside Raypher before the upstream request', buckets: BUCKETS, registers }),
    upstream: new Histogram({ name: 'raypher_proxy_upstream_latency_seconds', help: 'Upstream time to response headers', buckets: BUCKETS, registers }),
    identify: new Histogram({ name: 'raypher_proxy_identification_seconds', help: 'Caller identification per new connection', buckets: BUCKETS, registers }),
    keyEchoed: new Counter({ name: 'raypher_proxy_key_echoed_total', help: 'Responses that carried the injected key back (masked before the client saw it)', registers }),
    connections: new Gauge({ name: 'raypher_proxy_open_connections', help: 'Client connections open now', registers }),
  };
}

export type ProxyMetrics = ReturnType<typeof proxyMetrics>;
