import type { StrategyContext, UsageReport } from '../../rotation/strategy';
import { RotationRefusedError } from '../../shared/errors';
import { who } from './location';

/**
 * The second line of the interlock, for alternating users: setSecret resets the OTHER user of the
 * pair (the previous credential), so it first asks whether that user still has sessions. When it
 * does, the clients holding it would fail their next login: setSecret refuses, naming the user and
 * who holds it, unless an emergency rollout carries this rotation (`ctx.rollout`) or the policy
 * chose `resetUserInUse` (then the reset goes ahead, logged with the same evidence). This holds
 * whether or not a rollout is configured for the secret.
 *
 * @example
 * ```ts
 * assertResettable(await countSessions(session, pending.username), pending.username, current.username, options, ctx);
 * ```
 */
export function assertResettable(
  usage: UsageReport,
  username: string,
  currentUsername: string,
  options: { readonly resetUserInUse: boolean },
  ctx: StrategyContext,
): void {
  if (!usage.inUse) return;
  const emergency = ctx.rollout?.mode === 'emergency';
  if (emergency || options.resetUserInUse) {
    ctx.logger.warn('resetting a user that is still in use: its clients fail their next login', {
      ...who('setSecret', username),
      outcome: 'reset-in-use',
      reason: emergency
        ? `emergency rollout ${ctx.rollout?.holder ?? ''} carries this rotation`
        : 'resetUserInUse is set for this secret',
      stragglers: usage.evidence,
    });
    return;
  }
  throw new RotationRefusedError(
    ctx.secretId,
    'user-in-use',
    `setSecret refused: user "${username}" of secret ${ctx.secretId} is still in use (${usage.evidence}); this rotation would reset its password and those clients would fail their next login. Nothing was changed. Move them to the credential in AWSCURRENT (user "${currentUsername}"), then let Secrets Manager retry the rotation (or rotate again); to rotate at once anyway, start an emergency rollout, or set resetUserInUse for this secret in the policy (its clients then fail their next login).`,
  );
}
