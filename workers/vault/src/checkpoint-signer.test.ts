import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_PUBLIC_KEY_FILE, checkpointMessage, publicKeyFromPem } from '@raypher/shared/db';
import { verify } from 'node:crypto';
import { AUDIT_SIGNING_KEY_FILE, CheckpointSigner } from './checkpoint-signer.js';

describe('checkpoint signer', () => {
  let dir: string;
  const uid = process.getuid?.() ?? 0;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'raypher-signer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the key once (0600), publishes the public key, and signs what verify checks', () => {
    const signer = CheckpointSigner.load(dir, uid);
    expect(statSync(join(dir, AUDIT_SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(CheckpointSigner.load(dir, uid).keyId).toBe(signer.keyId);
    const claim = { seq: 7, head_hash: 'ab'.repeat(32), ts: new Date().toISOString() };
    const { signature } = signer.sign(claim);
    const published = publicKeyFromPem(readFileSync(join(dir, AUDIT_PUBLIC_KEY_FILE), 'utf8'));
    expect(verify(null, checkpointMessage(claim), published, Buffer.from(signature, 'base64'))).toBe(true);
    expect(verify(null, checkpointMessage({ ...claim, seq: 6 }), published, Buffer.from(signature, 'base64'))).toBe(false);
  });

  it('refuses a signing key others can read', () => {
    CheckpointSigner.load(dir, uid);
    chmodSync(join(dir, AUDIT_SIGNING_KEY_FILE), 0o644);
    expect(() => CheckpointSigner.load(dir, uid)).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_CHECKPOINT' }));
  });

  it('republishes a replaced public key from the private key', () => {
    const signer = CheckpointSigner.load(dir, uid);
    rmSync(join(dir, AUDIT_PUBLIC_KEY_FILE));
    expect(CheckpointSigner.load(dir, uid).keyId).toBe(signer.keyId);
    expect(readFileSync(join(dir, AUDIT_PUBLIC_KEY_FILE), 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
  });
});
