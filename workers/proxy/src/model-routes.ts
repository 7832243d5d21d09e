// Model-name routing ([[proxy.model_routes]]): a request whose JSON body names a listed model goes to that model's
// provider, whatever provider its path names, when both speak the same API. Never a guess: a model not listed goes
// by path, and a listed model whose provider speaks another API is refused, never translated.
import type { Config } from '@raypher/shared/config';
import { reroute, type Provider, type Route } from './providers.js';
import type { Refusal } from './refusals.js';

export class ModelRoutes {
  private readonly exact = new Map<string, Provider>();
  /** Prefix patterns, longest first, so the most specific one wins. */
  private readonly prefixes: Array<[string, Provider]> = [];

  /** The routes of a config whose providers were built by providersFrom (the loader checked every name). */
  constructor(routes: Config['proxy']['model_routes'], providers: readonly Provider[]) {
    for (const r of routes) {
      const to = providers.find((p) => p.name === r.provider);
      if (!to) continue;
      if (r.model.endsWith('*')) this.prefixes.push([r.model.slice(0, -1), to]);
      else this.exact.set(r.model, to);
    }
    this.prefixes.sort((a, b) => b[0].length - a[0].length);
  }

  /** Whether a request on this provider's path has its body read for the model: routes exist and its API is one they serve. */
  applyTo(p: Provider): boolean {
    return (this.exact.size > 0 || this.prefixes.length > 0) && (p.api === 'openai' || p.api === 'anthropic');
  }

  /** The provider a model is routed to: the exact name, else the longest matching prefix, else null (by path). */
  providerFor(model: string): Provider | null {
    return this.exact.get(model) ?? this.prefixes.find(([prefix]) => model.startsWith(prefix))?.[1] ?? null;
  }

  /** The route for a request on `r` whose body names `model`: unchanged, re-based on the model's provider, or refused. */
  route(r: Route, model: string): Route | Refusal {
    const to = this.providerFor(model);
    if (to === null || to === r.provider) return r;
    if (to.api !== r.provider.api) return { kind: 'model_api', model, provider: to.name, api: to.api ?? 'unknown', pathApi: r.provider.api ?? 'unknown', path: r.auditPath };
    return reroute(r, to);
  }
}
