/**
 * How a broker pod mounts the delivered password Secret: one volume, or one per shard when the
 * fleet is larger than one Secret (layout.ts, passwordShards). Shared by Mosquitto and EMQX (pure).
 */
import { passwordShards, shardSecretName } from './layout.js';

export interface CredentialVolumes {
  /** The value of FORTRESS_PLAIN: the mount path, or the shards' mount paths separated by spaces. */
  readonly plainEnv: string;
  /** Mounts of the containers that read plaintext passwords. */
  readonly mounts: { name: string; mountPath: string; readOnly: boolean }[];
  /** The pod's Secret volumes. */
  readonly volumes: { name: string; secret: { secretName: string; defaultMode: number } }[];
  /** The Secret that holds `username`'s password. */
  secretOf(username: string): string;
}

/**
 * The volumes of the password Secret `secretName` for these usernames, mounted at `mountPath`
 * (one Secret) or at `<mountPath>-<i>` from the Secrets `<secretName>-<i>` (sharded).
 */
export function credentialVolumes(secretName: string, usernames: readonly string[], mountPath: string): CredentialVolumes {
  const shards = passwordShards(usernames);
  if (!shards) {
    return {
      plainEnv: mountPath,
      mounts: [{ name: 'credentials', mountPath, readOnly: true }],
      volumes: [{ name: 'credentials', secret: { secretName, defaultMode: 0o440 } }],
      secretOf: () => secretName,
    };
  }
  const idx = Array.from({ length: shards.count }, (_, i) => i);
  return {
    plainEnv: idx.map((i) => `${mountPath}-${i}`).join(' '),
    mounts: idx.map((i) => ({ name: `credentials-${i}`, mountPath: `${mountPath}-${i}`, readOnly: true })),
    volumes: idx.map((i) => ({ name: `credentials-${i}`, secret: { secretName: shardSecretName(secretName, i), defaultMode: 0o440 } })),
    secretOf: (u) => shardSecretName(secretName, shards.shardOf.get(u) ?? 0),
  };
}
