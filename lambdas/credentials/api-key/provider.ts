import type { HttpClient } from './http-client';
import type { ProviderId } from './provider-registry';
import type { HttpServices } from './providers/http/config';

export type { ProviderId } from './provider-registry';

/** A key the provider just issued. `secret` is shown once, at creation: never log it. */
export interface CreatedKey {
  /** The provider's public id of the key (SendGrid `api_key_id`, Twilio `SK...` sid). */
  readonly keyId: string;
  /** The key itself. */
  readonly secret: string;
}

/** An issued key, as `verify` uses it. */
export interface IssuedKey {
  readonly keyId: string;
  readonly secret: string;
  /** Which key this is, for messages: the `new` (pending) key, or the `current` one. */
  readonly role: 'new' | 'current' | 'old';
}

/** A key found by listing the provider's keys: public fields only. */
export interface KeySummary {
  readonly keyId: string;
  readonly name: string;
}

/** What `create` gets besides the management credential. */
export interface CreateKeyContext {
  /** The deterministic name of the key (see `keyNameFor`). */
  readonly name: string;
}

/**
 * The narrow contract one provider implements, bound to one secret's settings (scopes, account,
 * service). `M` is the parsed management credential: it comes from its OWN secret, never from the
 * rotated one. Every method redacts what it throws; none ever returns or logs a key except
 * `create`'s result.
 */
export interface ApiKeyProvider<M = unknown> {
  readonly id: ProviderId;
  /** Human name for messages, e.g. `SendGrid`, `acme (generic HTTP)`. */
  readonly displayName: string;
  /** Validates the management secret's value. Bad input: `SecretFormatError` naming the field. */
  parseManagement(value: string): M;
  /** Every secret string inside a management credential, for redaction. */
  secretsOfManagement(management: M): readonly string[];
  /** Creates a key named `ctx.name`. Not idempotent at the provider: see `findByName`. */
  create(management: M, ctx: CreateKeyContext): Promise<CreatedKey>;
  /** Proves a key works against the provider, authenticating with the key itself. */
  verify(key: IssuedKey): Promise<void>;
  /** Deletes a key. A key that does not exist (any more) is success: revoking is idempotent. */
  revoke(management: M, keyId: string): Promise<void>;
  /**
   * Keys with exactly this name, where the provider can list keys: used to find the orphan of an
   * earlier attempt of the same rotation. Absent: the provider cannot list.
   */
  findByName?(management: M, name: string): Promise<readonly KeySummary[]>;
  /**
   * When the key was last used, where the provider reports it; `undefined` = never used.
   * Absent: the provider does not report usage.
   */
  lastUsed?(management: M, keyId: string): Promise<Date | undefined>;
}

/** The secret-specific parts a provider is bound to. */
export interface ProviderBinding<S> {
  /** Validated provider settings from the rotated secret's JSON. */
  readonly settings: S;
  /** Where the management credential lives (named in error messages; its value never is). */
  readonly managementSecretArn: string;
}

/**
 * How a provider issues keys: through a key-management API Handover calls (`management-api`), or
 * by a person in the provider's dashboard (`operator-assisted`: the rotation waits for
 * `handover provide`, see docs/credentials/api-key.md).
 */
export type ProviderKind = 'management-api' | 'operator-assisted';

/** The secret-specific parts an operator-assisted provider is bound to. */
export interface OperatorAssistedBinding<S> {
  readonly settings: S;
}

/**
 * A provider with no key-management API (Stripe): a person creates the new key in its dashboard
 * and hands it over with `handover provide`; Handover verifies it and rolls it out, and revoking
 * becomes a reminder of the exact dashboard step. Nothing here ever returns or logs a key.
 */
export interface OperatorAssistedProvider {
  readonly id: string;
  readonly displayName: string;
  /** Proves a key works against the provider with a read-only call, authenticating with the key itself. */
  verify(key: IssuedKey): Promise<void>;
  /** What is wrong with a key's shape (its prefix, its mode), or `undefined`. Never quotes the key. */
  checkKey(key: string): string | undefined;
  /** The key's public id as the dashboard shows it (e.g. `sk_live_...4242`). */
  keyIdOf(key: string): string;
  /** What the operator does at the provider to create the next key (the `keyId` of the current one). */
  createInstructions(currentKeyId: string): string;
  /** The exact dashboard step that ends an old key. */
  revokeReminder(oldKeyId: string): string;
}

/** An operator-assisted provider type (see {@link ProviderDefinition} for the other kind). */
export interface OperatorAssistedDefinition<S = unknown> {
  /** The provider's id in `PROVIDERS` (a string here: the registry's type derives from the providers). */
  readonly id: string;
  readonly displayName: string;
  readonly kind: 'operator-assisted';
  /** Reads the provider's non-secret settings from the rotated secret's JSON object. */
  parseSettings(raw: Readonly<Record<string, unknown>>): S;
  bind(binding: OperatorAssistedBinding<S>): OperatorAssistedProvider;
}

/** Either kind of provider type. */
export type AnyProviderDefinition = ProviderDefinition | OperatorAssistedDefinition;

/** Whether a provider type is operator-assisted. */
export function isOperatorAssisted(
  definition: AnyProviderDefinition,
): definition is OperatorAssistedDefinition {
  return definition.kind === 'operator-assisted';
}

/**
 * A provider type: validates its settings in the rotated secret and binds its operations to them.
 * `S` is the provider's settings type.
 */
export interface ProviderDefinition<S = unknown> {
  /** The provider's id in `PROVIDERS` (a string here: the registry's type derives from the providers). */
  readonly id: string;
  readonly displayName: string;
  /** @default 'management-api' */
  readonly kind?: 'management-api';
  /**
   * Reads the provider's non-secret settings from the rotated secret's JSON object. Bad input:
   * `SecretFormatError` naming the field. Never sees the management credential.
   */
  parseSettings(raw: Readonly<Record<string, unknown>>): S;
  /** The provider's operations for one secret. */
  bind(binding: ProviderBinding<S>): ApiKeyProvider;
}

/** Everything a provider factory may use; each factory takes only what it needs. */
export interface ProviderDeps {
  readonly http: HttpClient;
  /**
   * Where the provider's API is: the deployment's base URL for it
   * (`HANDOVER_API_KEY_<PROVIDER>_BASE_URL`), else the plugin's `baseUrl`; empty for a provider
   * without one.
   */
  readonly baseUrl: string;
  /** The generic HTTP services (`HANDOVER_API_KEY_HTTP_SERVICES`). */
  readonly httpServices: HttpServices;
}

/** Builds a provider type from its dependencies. */
export type ProviderFactory = (deps: ProviderDeps) => AnyProviderDefinition;

/**
 * A provider as the registry (`provider-registry.ts`) lists it: one per file in `providers/`.
 *
 * @example
 * ```ts
 * export const sendgrid = {
 *   baseUrl: 'https://api.sendgrid.com',
 *   create: ({ http, baseUrl }) => createSendgridProvider({ http, baseUrl }),
 * } satisfies ProviderPlugin;
 * ```
 */
export interface ProviderPlugin {
  /**
   * The public API the provider is reached at. A provider with one may be pointed elsewhere per
   * deployment (`providerBaseUrls.<id>` in the policy, e.g. SendGrid's EU endpoint).
   * @default - none: the provider has no single API (the generic HTTP provider)
   */
  readonly baseUrl?: string;
  /** Builds the provider from its dependencies. */
  readonly create: ProviderFactory;
}
