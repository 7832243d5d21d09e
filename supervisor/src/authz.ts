// Who may do what on the control socket: root, the service user and the operator group are admin; others read.
import { readFileSync } from 'node:fs';
import type { Access } from '@raypher/shared/ipc';
import type { PeerCred } from '@raypher/shared/native';
import { RaypherError } from '@raypher/shared/errors';

export interface AuthzPolicy {
  serviceUid: number;
  operatorGid: number | null;
}

export function accessFor(cred: Pick<PeerCred, 'uid' | 'gid' | 'groups'>, policy: AuthzPolicy): Access {
  if (cred.uid === 0 || cred.uid === policy.serviceUid) return 'admin';
  if (policy.operatorGid !== null && (cred.gid === policy.operatorGid || cred.groups.includes(policy.operatorGid))) return 'admin';
  return 'read';
}

/** Resolves a group name or numeric gid from config; an unknown group stops startup (fail closed). */
export function resolveGroup(setting: string, key: string, groupFile = '/etc/group'): number | null {
  if (setting === '') return null;
  if (/^\d+$/.test(setting)) return Number(setting);
  let text = '';
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    /* fall through to the error below */
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === setting && gid !== undefined) return Number(gid);
  }
  throw new RaypherError('ERR_CONFIG_INVALID', `${key} = "${setting}": no such group in ${groupFile}; create it (groupadd ${setting}) or use a numeric gid`);
}
