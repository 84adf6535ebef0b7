import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CredentialStrategy } from '../../rotation/strategy';
import { CredentialTestError, SecretFormatError } from '../../shared/errors';
import { entropyProblem, generateSharedKey, KeyRing, keyIdOf, RetiredKeys } from '../../verifier';
import { type CloudWatchSend, resolveSharedKeyOptions, type SharedKeyStrategyOptions } from './options';
import { parseSharedKeySecret, type SharedKeySecret, secretPartOf, serializeSharedKeySecret } from './schema';
import { keyFields, restorePrevious, revokePrevious } from './stages';
import { readPreviousKeyUsage } from './usage';

/**
 * Creates the shared-key strategy: internal API keys (`hk_<id>_<secret>`) that our own services
 * verify with the verifier library (`lambdas/verifier`), which reads Secrets Manager directly.
 *
 * - `create`: a new key from the local CSPRNG (60-bit public id, 256-bit secret), unknown fields of
 *   the current secret kept, `createdAt` set.
 * - `set`: nothing to change at a target: the verifiers pick the new key up from Secrets Manager.
 *   Refuses a pending key equal to the current one. Idempotent.
 * - `test`: the pending key has the exact format and full entropy, and a verifier key ring accepts it.
 * - `inUse`: the verifiers' `PreviousKeyAccepted` metric for the old key id (GetMetricData, Sum since
 *   `since`) is above zero, or no verifier reported at all (see `requireVerifierHeartbeat`).
 * - `revoke`: removes AWSPREVIOUS from the old key's version: verifiers reject it from their next
 *   refresh (`rejected-revoked`).
 * - `restore`: puts AWSPREVIOUS back on the old key's version if no other version holds it.
 *
 * @example
 * ```ts
 * const strategy = createSharedKeyStrategy({
 *   ...sharedKeyOptionsFromEnv(),
 *   cloudWatch: new CloudWatchClient({}),
 * });
 * export const handler = createRotationLambda(strategy);
 * ```
 */
export function createSharedKeyStrategy(
  options: SharedKeyStrategyOptions = {},
): CredentialStrategy<SharedKeySecret> {
  const resolved = resolveSharedKeyOptions(options);
  let cloudWatch: CloudWatchSend | undefined = options.cloudWatch;
  // The CloudWatch client is created on first use only: only inUse needs it.
  const metrics = () => {
    cloudWatch ??= new CloudWatchClient({});
    return cloudWatch;
  };

  return {
    type: 'shared-key',
    variant: 'verifier',
    previousStaysValid: true,
    createIsPure: true,
    parse: parseSharedKeySecret,
    serialize: serializeSharedKeySecret,
    identify: (value) => value.keyId,
    secretsOf: (value) => [value.key, secretPartOf(value)],

    async create(current) {
      const key = generateSharedKey();
      return { key, keyId: keyIdOf(key), createdAt: resolved.now().toISOString(), raw: current.raw };
    },

    async set(pending, current, _previous, ctx) {
      if (pending.keyId === current.keyId) {
        throw new SecretFormatError(
          'key',
          `the pending key must differ from the current key (both have key id ${current.keyId})`,
        );
      }
      ctx.logger.info('nothing to set: verifiers read the new key from Secrets Manager', {
        ...keyFields('setSecret', pending.keyId),
        outcome: 'no-target',
      });
    },

    async test(pending, ctx) {
      const problem = entropyProblem(secretPartOf(pending));
      if (problem !== undefined) {
        throw new CredentialTestError(`testSecret: key ${pending.keyId}: ${problem}`);
      }
      // Prove that the verifier library accepts it, through its own decision procedure.
      const ring = new KeyRing(
        { versionId: ctx.rotationId, keyId: pending.keyId, secret: secretPartOf(pending) },
        undefined,
        new RetiredKeys(1),
      );
      const decision = ring.decide(pending.key, () => false);
      if (decision.outcome !== 'accepted-current') {
        throw new CredentialTestError(
          `testSecret: a verifier holding key ${pending.keyId} answers ${decision.outcome} for it`,
        );
      }
      ctx.logger.info('pending key has the shared-key format, full entropy, and verifies', {
        ...keyFields('testSecret', pending.keyId),
        outcome: 'passed',
      });
    },

    async inUse(old, since, ctx) {
      const meta = await ctx.secrets.describe(ctx.secretId);
      return readPreviousKeyUsage({
        cloudWatch: metrics(),
        namespace: resolved.metricsNamespace,
        secretName: meta.name,
        keyId: old.keyId,
        since,
        now: resolved.now(),
        requireHeartbeat: resolved.requireVerifierHeartbeat,
      });
    },

    async revoke(old, ctx) {
      await revokePrevious(old, ctx);
    },

    async restore(old, ctx) {
      await restorePrevious(old, ctx);
    },
  };
}
