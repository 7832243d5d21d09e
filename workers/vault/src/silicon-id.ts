// The machine's identity for /health and status: SHA-256 of the TPM endorsement key's public part, else of /etc/machine-id.
// Computed once per vault start, shown locally, never sent anywhere. Here because only the vault talks to the TPM.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface EndorsementSource {
  endorsementPublic(): Promise<Buffer>;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** 'tpm:<hex>' or 'machine-id:<hex>' (the source named, so a change of source is visible); null when neither can be read. */
export async function computeSiliconId(tpm: EndorsementSource | null, machineIdFile = '/etc/machine-id'): Promise<string | null> {
  if (tpm) {
    const ek = await tpm.endorsementPublic().catch(() => null);
    if (ek) return `tpm:${sha256(ek)}`;
  }
  try {
    const id = readFileSync(machineIdFile, 'utf8').trim();
    return id.length > 0 ? `machine-id:${sha256(id)}` : null;
  } catch {
    return null;
  }
}
