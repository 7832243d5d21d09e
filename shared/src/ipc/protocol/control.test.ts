import { WORKER_NAMES, forwarded } from './common.js';
import { Control, methodsOwnedBy, SupervisorControl, WorkerControl } from './control.js';
import { ProxyControl } from './proxy.js';
import { VaultControl } from './vault.js';
import { ScannerControl } from './scanner.js';
import { UpdaterControl } from './updater.js';

describe('control method definitions', () => {
  it('declare every name once, in one owner table, with its owner and a timeout', () => {
    const tables = [SupervisorControl, VaultControl, ProxyControl, UpdaterControl, ScannerControl];
    const names = tables.flatMap((t) => Object.keys(t));
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(Control).sort()).toEqual([...names].sort());
    for (const [key, def] of Object.entries(Control)) {
      expect(def.name).toBe(key);
      expect(['supervisor', ...WORKER_NAMES]).toContain(def.owner);
      expect(Number.isSafeInteger(def.timeoutMs) && def.timeoutMs > 0).toBe(true);
    }
  });

  it('sorts methods by owner: the supervisor answers its own, every other one is forwarded', () => {
    expect(Object.keys(methodsOwnedBy('vault')).sort()).toEqual(Object.keys(VaultControl).sort());
    expect(Object.keys(methodsOwnedBy('proxy')).sort()).toEqual(Object.keys(ProxyControl).sort());
    expect(Object.keys(methodsOwnedBy('scanner')).sort()).toEqual(Object.keys(ScannerControl).sort());
    expect(Object.keys(methodsOwnedBy('supervisor'))).toContain('hello');
    expect(Object.values(WorkerControl).map((def) => def.owner)).not.toContain('supervisor');
  });

  it('keeps name, access, owner and timeout on the forwarded hop and wraps the params with the caller', () => {
    const def = Control['vault.delete'];
    const hop = forwarded(def);
    expect(hop).toMatchObject({ name: def.name, access: def.access, owner: 'vault', timeoutMs: def.timeoutMs });
    expect(hop.params.parse({ caller: { uid: 1000, pid: 7 }, args: { provider: 'openai' } })).toEqual({ caller: { uid: 1000, pid: 7 }, args: { provider: 'openai' } });
    expect(() => hop.params.parse({ caller: null, args: { provider: 'Bad Name' } })).toThrow();
  });
});
