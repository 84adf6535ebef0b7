import { STAGE } from '../../rotation/constants';
import type { SecretMetadata, SecretsPort } from '../../rotation/secrets-port';
import type { StrategyContext } from '../../rotation/strategy';
import { versionWith } from '../../rotation/versions';
import { SecretFormatError, TargetError } from '../../shared/errors';
import { fingerprint } from '../../shared/redaction';
import { parseSharedKeySecret, type SharedKeySecret } from './schema';

/** How many label-less (deprecated) versions `restore` reads, newest first, to find the old key. */
export const RESTORE_SEARCH_LIMIT = 10;

/** Fields for a log line about `keyId`. */
export function keyFields(step: string, keyId: string): Record<string, unknown> {
  return { step, key_id: keyId, key_fingerprint: fingerprint(keyId) };
}

/** A version id and the key id its value holds (`undefined` when the value does not parse). */
interface Held {
  readonly versionId: string;
  readonly keyId: string | undefined;
}

async function keyIdAt(port: SecretsPort, arn: string, versionId: string): Promise<string | undefined> {
  const version = await port.getVersion(arn, { versionId });
  if (version === undefined) return undefined;
  try {
    return parseSharedKeySecret(version.value).keyId;
  } catch (error) {
    if (error instanceof SecretFormatError) return undefined;
    throw error;
  }
}

async function held(port: SecretsPort, meta: SecretMetadata, stage: string): Promise<Held | undefined> {
  const versionId = versionWith(meta.versions, stage);
  return versionId === undefined ? undefined : { versionId, keyId: await keyIdAt(port, meta.arn, versionId) };
}

/**
 * Ends the grace window of `old`: removes AWSPREVIOUS from the version holding it, so every verifier
 * stops accepting it on its next refresh (and answers `rejected-revoked`). Idempotent: when
 * AWSPREVIOUS no longer holds `old`, there is nothing to do. Refuses to touch the AWSCURRENT key.
 */
export async function revokePrevious(old: SharedKeySecret, ctx: StrategyContext): Promise<void> {
  const port = ctx.secrets;
  const meta = await port.describe(ctx.secretId);
  const current = await held(port, meta, STAGE.current);
  if (current?.keyId === old.keyId) {
    throw new TargetError(
      `revoke: refusing to revoke key ${old.keyId}: it is the AWSCURRENT key of ${meta.arn} (version ${current.versionId})`,
    );
  }
  const previous = await held(port, meta, STAGE.previous);
  if (previous?.keyId === old.keyId) {
    await port.removeStage(meta.arn, STAGE.previous, previous.versionId);
    ctx.logger.info(
      'old shared key revoked: AWSPREVIOUS removed; verifiers reject it from their next refresh',
      {
        ...keyFields('revoke', old.keyId),
        outcome: 'revoked',
        version_id: previous.versionId,
      },
    );
    return;
  }
  ctx.logger.info('old shared key already revoked: AWSPREVIOUS does not hold it', {
    ...keyFields('revoke', old.keyId),
    outcome: 'already-revoked',
    ...(previous === undefined
      ? {}
      : { previous_version_id: previous.versionId, previous_key_id: previous.keyId ?? 'unparseable' }),
  });
}

/**
 * Undoes {@link revokePrevious}: puts AWSPREVIOUS back on the version holding `old`, when no other
 * version holds it. Idempotent: nothing to do when `old` is already AWSPREVIOUS or AWSCURRENT.
 * Throws `TargetError` (and changes nothing) when another key holds AWSPREVIOUS (moving the label
 * would stop that key from being accepted) or when no version of the secret holds `old` any more.
 */
export async function restorePrevious(old: SharedKeySecret, ctx: StrategyContext): Promise<void> {
  const port = ctx.secrets;
  const meta = await port.describe(ctx.secretId);
  const current = await held(port, meta, STAGE.current);
  if (current?.keyId === old.keyId) {
    ctx.logger.info('old shared key is the AWSCURRENT key: nothing to restore', {
      ...keyFields('restore', old.keyId),
      outcome: 'already-current',
      version_id: current.versionId,
    });
    return;
  }
  const previous = await held(port, meta, STAGE.previous);
  if (previous?.keyId === old.keyId) {
    ctx.logger.info('old shared key already restored: it is AWSPREVIOUS', {
      ...keyFields('restore', old.keyId),
      outcome: 'already-restored',
      version_id: previous.versionId,
    });
    return;
  }
  if (previous !== undefined) {
    throw new TargetError(
      `restore: AWSPREVIOUS of ${meta.arn} is held by version ${previous.versionId} ` +
        `(key ${previous.keyId ?? 'unparseable'}); restoring key ${old.keyId} would stop that key from ` +
        'being accepted: nothing was changed',
    );
  }
  const versionId = await findVersionOf(port, meta, old.keyId);
  if (versionId === undefined) {
    throw new TargetError(
      `restore: none of the ${RESTORE_SEARCH_LIMIT} newest unlabelled versions of ${meta.arn} holds key ${old.keyId}: nothing was changed`,
    );
  }
  await port.moveStage(meta.arn, STAGE.previous, versionId);
  ctx.logger.info(
    'old shared key restored: AWSPREVIOUS is back; verifiers accept it from their next refresh',
    {
      ...keyFields('restore', old.keyId),
      outcome: 'restored',
      version_id: versionId,
    },
  );
}

/** The newest version without a staging label whose value holds `keyId`. */
async function findVersionOf(
  port: SecretsPort,
  meta: SecretMetadata,
  keyId: string,
): Promise<string | undefined> {
  const versions = await port.listVersions(meta.arn, { includeDeprecated: true });
  const candidates = versions
    .filter(({ stages }) => stages.length === 0)
    .sort((a, b) => (b.createdDate?.getTime() ?? 0) - (a.createdDate?.getTime() ?? 0))
    .slice(0, RESTORE_SEARCH_LIMIT);
  for (const { versionId } of candidates) {
    if ((await keyIdAt(port, meta.arn, versionId)) === keyId) return versionId;
  }
  return undefined;
}
