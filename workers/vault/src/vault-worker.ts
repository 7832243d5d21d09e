// The vault worker: owns vault.db and the data key; serves operators (via the supervisor) and the proxy (own socket).
import { AuditLedger, openRaypherDb } from '@raypher/shared/db';
import { serveOwnedMethods } from '@raypher/shared/ipc';
import { Checkpointer } from './checkpointer.js';
import { CheckpointSigner } from './checkpoint-signer.js';
import type { WorkerModule } from '@raypher/shared/worker';
import { Keyring } from './keyring.js';
import { Tpm2 } from './protectors/tpm2.js';
import { computeSiliconId } from './silicon-id.js';
import { VaultStore } from './store.js';
import { VaultService } from './vault-service.js';
import { startVaultSocket, type VaultSocketServer } from './vault-socket.js';

export const vaultWorker: WorkerModule<'vault'> = {
  async start(ctx) {
    let config = ctx.config.vault;
    const store = await VaultStore.open(ctx.paths.vaultDb);
    const auditDb = await openRaypherDb(ctx.paths.db);
    const tpm = new Tpm2({ tcti: config.tcti, dir: ctx.paths.tpmDir, pcrs: config.pcrs });
    const keyring = new Keyring({ store, tpm, hostKeyPath: ctx.paths.hostKey, uid: process.getuid?.() ?? 0, configuredProtector: config.protector });
    let socket: VaultSocketServer | undefined;
    const audit = new AuditLedger(auditDb, 'vault');
    try {
      await keyring.open();
    } catch (err) {
      await store.close();
      await auditDb.close();
      throw err;
    }
    if (keyring.lastError) {
      ctx.logger.error('vault is locked', { code: keyring.lastError.code, error: keyring.lastError.message });
      await audit.append('vault.locked', { code: keyring.lastError.code, reason: keyring.lastError.message });
    }
    // Computed once, off the start path (tpm2_createek takes a while); /health shows null until then.
    let siliconId: string | null = null;
    void computeSiliconId(keyring.tpmPresent ? tpm : null).then((id) => (siliconId = id), () => undefined);
    const service = new VaultService({
      store,
      keyring,
      audit,
      logger: ctx.logger,
      settings: () => ({ configuredProtector: config.protector, tcti: config.tcti, pcrs: config.pcrs }),
      invalidate: (provider) => socket?.invalidate(provider),
    });
    socket = await startVaultSocket(ctx.paths.vaultSocket, ctx.vaultToken, service, ctx.logger);
    // Signed checkpoints of the audit ledger: the signing key lives only here, never with the rows' writers.
    const checkpointer = new Checkpointer(auditDb, CheckpointSigner.load(ctx.paths.dataDir, process.getuid?.() ?? 0), ctx.logger, ctx.config.audit.checkpoint_interval_secs);
    checkpointer.start();

    // /health is answered synchronously: the key count is kept current by the methods that change it.
    let sealedKeys = await store.count();
    const recounted = async <T>(result: T): Promise<T> => {
      sealedKeys = await store.count();
      return result;
    };
    serveOwnedMethods(ctx, 'vault', {
      'vault.seal': async ({ caller, args }) => recounted(await service.seal(args.provider, args.secret, caller)),
      'vault.unseal': async ({ caller, args }) => ({ provider: args.provider, secret: await service.unseal(args.provider, caller, 'raypherctl') }),
      'vault.list': async () => ({ secrets: await service.list() }),
      'vault.delete': async ({ caller, args }) => (await service.delete(args.provider, caller), recounted({})),
      'vault.rotate': ({ caller }) => service.rotate(caller),
      'vault.status': () => service.status(),
      'vault.initRecovery': async ({ caller, args }) => ({ recoveryKey: await service.initRecovery(args.replace, caller) }),
      'vault.recover': async ({ caller, args }) => recounted(await service.recover(args.recoveryKey, caller)),
    });

    return {
      async stop() {
        socket?.close();
        await checkpointer.stop();
        keyring.close();
        await store.close();
        await auditDb.close();
      },
      onConfig(next) {
        config = next.vault;
        checkpointer.setInterval(next.audit.checkpoint_interval_secs);
      },
      health: () => {
        // silicon_id is a top-level /health field: the supervisor spreads worker sections over its null.
        return { vault: { state: keyring.unlocked ? 'unlocked' : 'locked', protector: keyring.protector, sealed_keys: sealedKeys, tpm_present: keyring.tpmPresent }, silicon_id: siliconId };
      },
    };
  },
};
