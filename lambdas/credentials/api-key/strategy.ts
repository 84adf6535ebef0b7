import type { CredentialStrategy, NotDone, StrategyContext, UsageReport } from '../../rotation/strategy';
import { SecretFormatError, TargetError } from '../../shared/errors';
import { fingerprint, redactError } from '../../shared/redaction';
import { ProviderRequestError } from './http-client';
import { keyNameFor, rotationTag } from './key-name';
import { type ApiKeyStrategyOptions, resolveApiKeyOptions } from './options';
import {
  type ApiKeyProvider,
  type IssuedKey,
  isOperatorAssisted,
  type OperatorAssistedProvider,
} from './provider';
import { type ApiKeySecret, parseApiKeySecret, serializeApiKeySecret } from './schema';

/**
 * What `inUse` answers for an API key. `observable: false` means the provider does not report
 * key usage: `inUse` is then `false` for lack of evidence, not because the key is known to be idle.
 */
export interface ApiKeyUsageReport extends UsageReport {
  readonly observable: boolean;
}

/**
 * createSecret of an operator-assisted provider before the key was handed over: the rotation waits
 * for `handover provide`. Its message says what to do at the provider and which command to run.
 */
export class OperatorActionRequiredError extends TargetError {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorActionRequired';
  }
}

/** Fields for a log line about a key: its id is public; the key itself never appears. */
function about(step: string, secret: Pick<ApiKeySecret, 'provider'>, keyId: string, keyName?: string) {
  return {
    step,
    provider: secret.provider,
    key_id: keyId,
    key_fingerprint: fingerprint(keyId),
    ...(keyName === undefined ? {} : { key_name: keyName }),
  };
}

/** Runs `work`, removing `secrets` from anything it throws (messages and the whole cause chain). */
async function guarded<T>(secrets: readonly string[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw redactError(error, secrets);
  }
}

/**
 * Creates the third-party API key strategy the rotation engine drives. One strategy serves every
 * provider; each secret names its own (`"provider": "sendgrid" | "twilio" | "http"`).
 *
 * - `create` (createSecret): reads the management credential from its own secret
 *   (`managementSecretArn`, never the rotated secret), deletes any key left at the provider by an
 *   earlier attempt of the same rotation (found by its deterministic name, where the provider can
 *   list keys), then creates the new key. If the create's outcome is unknown (5xx, timeout), it
 *   cleans up and creates again, within `maxAttempts`.
 * - `set` (setSecret): nothing to do at the provider (the key exists since createSecret); checks
 *   that the pending value belongs to the same provider, settings and management secret.
 * - `test` (testSecret): proves the key works, authenticating with the key itself.
 * - `inUse`: the provider's last-used time where it reports one; otherwise
 *   `{ inUse: false, observable: false }` with evidence saying so.
 * - `revoke`: deletes the old key at the provider (never the current one). No `restore`: a
 *   deleted key cannot be brought back.
 *
 * Errors name the provider, the operation and which credential was rejected; they never contain a
 * key or the management credential.
 *
 * @example
 * ```ts
 * const strategy = createApiKeyStrategy({ baseUrls: { sendgrid: 'https://api.eu.sendgrid.com' } });
 * const current = strategy.parse(currentSecretString); // {"provider": "sendgrid", ...}
 * const pending = await strategy.create(current, ctx);  // a new key named handover-<secret>-<tag>
 * await strategy.test(pending, ctx);
 * // later, from the rollout workflow, once consumers have moved:
 * await strategy.revoke?.(current, ctx);
 * ```
 */
export function createApiKeyStrategy(options: ApiKeyStrategyOptions): CredentialStrategy<ApiKeySecret> {
  const resolved = resolveApiKeyOptions(options);
  const { providers } = resolved;

  const parse = (value: string): ApiKeySecret => parseApiKeySecret(value, providers);

  /** The provider of a secret: one with a management API, or an operator-assisted one. */
  const providerOf = (
    secret: ApiKeySecret,
  ): { readonly api: ApiKeyProvider } | { readonly operator: OperatorAssistedProvider } => {
    const definition = providers[secret.provider];
    if (isOperatorAssisted(definition)) return { operator: definition.bind({ settings: secret.settings }) };
    if (secret.managementSecretArn === undefined) {
      throw new SecretFormatError('managementSecretArn', 'secret field "managementSecretArn" is required');
    }
    return {
      api: definition.bind({ settings: secret.settings, managementSecretArn: secret.managementSecretArn }),
    };
  };
  /** The management credential, from its own secret, and every secret string in it. */
  const loadManagement = async (secret: ApiKeySecret, provider: ApiKeyProvider, ctx: StrategyContext) => {
    const arn = secret.managementSecretArn ?? '';
    if (arn === ctx.secretId) {
      throw new SecretFormatError(
        'managementSecretArn',
        'secret field "managementSecretArn" names the rotated secret itself: the management credential must live in its own secret',
      );
    }
    const value = await ctx.secrets.getSecretString(arn);
    const management = await guarded([value], async () => provider.parseManagement(value));
    return { management, secrets: [value, ...provider.secretsOfManagement(management)] };
  };

  /** Deletes keys named `name` (earlier attempts of this rotation); never the current key. */
  const removeOrphans = async (
    provider: ApiKeyProvider,
    management: unknown,
    name: string,
    current: ApiKeySecret,
    ctx: StrategyContext,
  ): Promise<void> => {
    if (provider.findByName === undefined) return;
    for (const orphan of await provider.findByName(management, name)) {
      if (orphan.keyId === current.keyId) {
        throw new TargetError(
          `createSecret: ${provider.displayName} key ${orphan.keyId} is named "${name}" like the key this rotation creates, but it is the current key: refusing to delete it`,
        );
      }
      await provider.revoke(management, orphan.keyId);
      ctx.logger.warn('deleted the key an earlier attempt of this rotation left at the provider', {
        ...about('createSecret', current, orphan.keyId, name),
        outcome: 'orphan-deleted',
      });
    }
  };

  const verifyWithPropagation = async (provider: ApiKeyProvider, key: IssuedKey): Promise<void> => {
    let waited = 0;
    for (let delay = 250; ; delay *= 2) {
      try {
        await provider.verify(key);
        return;
      } catch (error) {
        const rejected = error instanceof ProviderRequestError && error.failure === 'rejected';
        if (!rejected || key.role !== 'new' || waited + delay > resolved.keyPropagationMs) throw error;
        waited += delay;
        await resolved.sleep(delay);
      }
    }
  };

  return {
    type: 'api-key',
    variant: 'provider-key',
    previousStaysValid: true,
    parse,
    serialize: serializeApiKeySecret,
    identify: (value) => value.keyId,
    secretsOf: (value) => [value.apiKey],

    async create(current, ctx) {
      const assisted = providerOf(current);
      if ('operator' in assisted) {
        // No API to call: the rotation waits, AWSPENDING on an empty version, until a person hands
        // the new key over (`handover provide` writes it as this token's value; the next attempt of
        // createSecret finds and reuses it, before this method is reached).
        throw new OperatorActionRequiredError(
          `waiting for the operator: ${assisted.operator.createInstructions(current.keyId)}; then run: handover provide ${ctx.secretId} (the key is written to version ${ctx.rotationId}, which stays AWSPENDING until then)`,
        );
      }
      const provider = assisted.api;
      const name = keyNameFor(ctx.secretId, ctx.rotationId, current.keyNamePrefix);
      const { management, secrets } = await loadManagement(current, provider, ctx);
      return guarded([...secrets, current.apiKey], async () => {
        for (let attempt = 1; ; attempt++) {
          await removeOrphans(provider, management, name, current, ctx);
          try {
            const created = await provider.create(management, { name });
            ctx.logger.info('created a new key at the provider', {
              ...about('createSecret', current, created.keyId, name),
              outcome: 'created',
              attempt,
            });
            const pending: ApiKeySecret = {
              ...current,
              keyId: created.keyId,
              apiKey: created.secret,
              keyName: name,
            };
            return pending;
          } catch (error) {
            const unknownOutcome = error instanceof ProviderRequestError && error.mayHaveTakenEffect;
            if (!unknownOutcome) throw error;
            if (provider.findByName === undefined) {
              throw new TargetError(
                `${error.message}. ${provider.displayName} cannot list keys, so Handover cannot tell whether a key named "${name}" was created: if it exists, delete it at the provider (a retry of this step creates another)`,
                { cause: error },
              );
            }
            if (attempt >= resolved.maxAttempts) throw error;
            ctx.logger.warn(
              'the outcome of creating a key is unknown: removing any such key and creating again',
              {
                step: 'createSecret',
                provider: current.provider,
                key_name: name,
                attempt,
                reason: error.message,
              },
            );
            await resolved.sleep(250 * 2 ** (attempt - 1));
          }
        }
      });
    },

    async set(pending, current, _previous, ctx) {
      for (const field of ['provider', 'managementSecretArn'] as const) {
        if (pending[field] !== current[field]) {
          throw new SecretFormatError(
            field,
            `pending secret field "${field}" must equal the current secret's: a rotation changes the key, not where it lives`,
          );
        }
      }
      if (JSON.stringify(pending.settings) !== JSON.stringify(current.settings)) {
        throw new SecretFormatError(
          'settings',
          `pending secret's ${current.provider} settings must equal the current secret's: a rotation changes the key, not its settings`,
        );
      }
      if (pending.keyId === current.keyId) {
        throw new TargetError(
          `setSecret: the pending key ${pending.keyId} is the current key: createSecret did not create a new key`,
        );
      }
      // The provider issued the key in createSecret: nothing to change there. testSecret proves it works.
      ctx.logger.info('key issued by the provider in createSecret: nothing to set', {
        ...about('setSecret', pending, pending.keyId, pending.keyName),
        outcome: 'already-set',
      });
    },

    async test(pending, ctx) {
      const assisted = providerOf(pending);
      if ('operator' in assisted) {
        const problem = assisted.operator.checkKey(pending.apiKey);
        if (problem !== undefined) throw new SecretFormatError('apiKey', `secret field "apiKey" ${problem}`);
        await guarded([pending.apiKey], () =>
          assisted.operator.verify({ keyId: pending.keyId, secret: pending.apiKey, role: 'new' }),
        );
        ctx.logger.info('key works at the provider', {
          ...about('testSecret', pending, pending.keyId, pending.keyName),
          outcome: 'passed',
        });
        return;
      }
      const provider = assisted.api;
      // The key this rotation created is `new`; with RotateImmediately=false the engine tests the current one.
      const role = pending.keyName?.endsWith(`-${rotationTag(ctx.secretId, ctx.rotationId)}`)
        ? 'new'
        : 'current';
      await guarded([pending.apiKey], () =>
        verifyWithPropagation(provider, { keyId: pending.keyId, secret: pending.apiKey, role }),
      );
      ctx.logger.info('key works at the provider', {
        ...about('testSecret', pending, pending.keyId, pending.keyName),
        outcome: 'passed',
      });
    },

    async inUse(old, since, ctx): Promise<ApiKeyUsageReport> {
      const assisted = providerOf(old);
      if ('operator' in assisted) {
        return {
          inUse: false,
          observable: false,
          evidence: `unknown: ${assisted.operator.displayName} reports key usage only in its Dashboard, so there is no evidence either way for key ${old.keyId}`,
        };
      }
      const provider = assisted.api;
      if (provider.lastUsed === undefined) {
        return {
          inUse: false,
          observable: false,
          evidence: `unknown: ${provider.displayName} does not report when a key was last used, so there is no evidence either way for key ${old.keyId}`,
        };
      }
      const lastUsedOf = provider.lastUsed;
      const { management, secrets } = await loadManagement(old, provider, ctx);
      const last = await guarded([...secrets, old.apiKey], () => lastUsedOf(management, old.keyId));
      if (last === undefined) {
        return {
          inUse: false,
          observable: true,
          evidence: `${provider.displayName} reports key ${old.keyId} never used`,
        };
      }
      const inUse = last.getTime() >= since.getTime();
      return {
        inUse,
        observable: true,
        lastUsed: last,
        evidence: `${provider.displayName} reports key ${old.keyId} last used at ${last.toISOString()} (${inUse ? 'at or after' : 'before'} ${since.toISOString()})`,
        // The provider knows when, not who: the straggler is the key itself.
        ...(inUse
          ? {
              stragglers: [
                {
                  identity: `whoever holds ${provider.displayName} key ${old.keyId}${old.keyName === undefined ? '' : ` (${old.keyName})`}`,
                  from: `${provider.displayName} (its last-used time; it does not say who)`,
                  lastSeen: last,
                  evidence: `${provider.displayName} reports the key last used at ${last.toISOString()}`,
                },
              ],
            }
          : {}),
      };
    },

    // biome-ignore lint/suspicious/noConfusingVoidType: the strategy contract's revoke resolves with nothing (revoked) or NotDone.
    async revoke(old, ctx): Promise<void | NotDone> {
      const current = parse(await ctx.secrets.getSecretString(ctx.secretId));
      if (old.keyId === current.keyId && old.provider === current.provider) {
        throw new TargetError(
          `revoke: refusing to delete ${old.provider} key ${old.keyId}: the current secret uses it`,
        );
      }
      const assisted = providerOf(old);
      if ('operator' in assisted) {
        const reminder = assisted.operator.revokeReminder(old.keyId);
        ctx.logger.warn('old key left for a person to end at the provider', {
          ...about('revoke', old, old.keyId, old.keyName),
          outcome: 'reminder',
          reason: reminder,
        });
        return { done: false, reason: `reminder: ${reminder}` };
      }
      const provider = assisted.api;
      const { management, secrets } = await loadManagement(old, provider, ctx);
      await guarded([...secrets, old.apiKey, current.apiKey], () => provider.revoke(management, old.keyId));
      ctx.logger.info('old key deleted at the provider', {
        ...about('revoke', old, old.keyId, old.keyName),
        outcome: 'revoked',
      });
    },
  };
}
