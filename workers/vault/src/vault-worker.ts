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
    // Signed checkpoints of the audit ledger. The signing key is sealed in vault.db under the data key, so it opens
    // only in an unlocked vault: a locked vault starts them once it is recovered.
    let checkpointer: Checkpointer | null = null;
    let checkpointSecs = ctx.config.audit.checkpoint_interval_secs;
    let opening: Promise<void> | null = null;
    const startCheckpoints = (): Promise<void> => (opening ??= openCheckpoints().finally(() => (opening = null)));
    const openCheckpoints = async (): Promise<void> => {
      if (checkpointer || !keyring.unlocked) return;
      try {
        const { signer, origin, strayFile } = await CheckpointSigner.open({ keyring, store, dataDir: ctx.paths.dataDir, uid: process.getuid?.() ?? 0 });
        if (origin === 'migrated') ctx.logger.warn('audit signing key moved from its file into vault.db and the file deleted; copies of the old file (backups) can still sign', { key_id: signer.keyId });
        if (strayFile) ctx.logger.warn('a key file that is not the sealed audit signing key was found and ignored; remove it', { code: 'ERR_AUDIT_CHECKPOINT', file: strayFile });
        checkpointer = new Checkpointer(auditDb, signer, ctx.logger, checkpointSecs);
        checkpointer.start();
      } catch (err) {
        ctx.logger.error('audit checkpoints are off: the signing key could not be opened; verify will report the newest checkpoint as old', { code: 'ERR_AUDIT_CHECKPOINT', error: (err as Error).message });
      }
    };
    if (keyring.unlocked) await startCheckpoints();
    else ctx.logger.warn('audit checkpoints wait for the vault to be unlocked (raypherctl vault recover)', { code: keyring.lastError?.code });

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
      'vault.recover': async ({ caller, args }) => {
        const result = await service.recover(args.recoveryKey, caller);
        await startCheckpoints();
        return recounted(result);
      },
    });

    return {
      async stop() {
        socket?.close();
        await checkpointer?.stop();
        keyring.close();
        await store.close();
        await auditDb.close();
      },
      onConfig(next) {
        config = next.vault;
        checkpointSecs = next.audit.checkpoint_interval_secs;
        checkpointer?.setInterval(checkpointSecs);
      },
      health: () => {
        // silicon_id is a top-level /health field: the supervisor spreads worker sections over its null.
        return { vault: { state: keyring.unlocked ? 'unlocked' : 'locked', protector: keyring.protector, sealed_keys: sealedKeys, tpm_present: keyring.tpmPresent }, silicon_id: siliconId };
      },
    };
  },
};
