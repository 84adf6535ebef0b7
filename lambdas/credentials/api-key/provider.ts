import type { HttpClient } from './http-client';
import type { HttpServices } from './providers/http/config';

/**
 * Every provider Handover can rotate API keys at. `http` is the declarative generic provider: any
 * service with create / delete key endpoints, configured per service name (see `providers/http/config.ts`).
 */
export const PROVIDER_IDS = ['sendgrid', 'twilio', 'http'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

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
 * A provider type: validates its settings in the rotated secret and binds its operations to them.
 * `S` is the provider's settings type.
 */
export interface ProviderDefinition<S = unknown> {
  readonly id: ProviderId;
  readonly displayName: string;
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
  readonly baseUrls: { readonly sendgrid: string; readonly twilio: string };
  readonly httpServices: HttpServices;
}

/** Builds a provider type from its dependencies. */
export type ProviderFactory = (deps: ProviderDeps) => ProviderDefinition;
