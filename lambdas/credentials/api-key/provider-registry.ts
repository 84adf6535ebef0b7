import type { AnyProviderDefinition, ProviderDeps, ProviderPlugin } from './provider';
import { http } from './providers/http/provider';
import { sendgrid } from './providers/sendgrid';
import { stripe } from './providers/stripe';
import { twilio } from './providers/twilio';

/**
 * Every provider Handover rotates API keys at, by id: the ONE registration of a provider (its file
 * in `providers/` exports the plugin). The id is what a rotated secret names in `provider`; the
 * provider's `baseUrl` makes `providerBaseUrls.<id>` a setting (`HANDOVER_API_KEY_<ID>_BASE_URL`).
 */
export const PROVIDERS = { sendgrid, twilio, http, stripe } as const satisfies Readonly<
  Record<string, ProviderPlugin>
>;

/** A provider's id. */
export type ProviderId = keyof typeof PROVIDERS;

/** Every provider id, in registry order. */
export const PROVIDER_IDS = Object.keys(PROVIDERS) as readonly ProviderId[];

/** The providers a deployment may give a base URL (those with a public API of their own). */
export type BaseUrlProviderId = {
  [K in ProviderId]: (typeof PROVIDERS)[K] extends { readonly baseUrl: string } ? K : never;
}[ProviderId];

/** Every provider with a base URL, in registry order. */
export const BASE_URL_PROVIDERS = PROVIDER_IDS.filter(
  (id): id is BaseUrlProviderId => (PROVIDERS[id] as ProviderPlugin).baseUrl !== undefined,
);

/** What {@link buildProviders} needs: the HTTP client, the base URLs a deployment gives, the generic services. */
export interface ProviderRegistryDeps extends Omit<ProviderDeps, 'baseUrl'> {
  /**
   * Base URLs by provider, replacing the providers' own.
   * @default - every provider at its public API
   */
  readonly baseUrls?: Readonly<Partial<Record<ProviderId, string>>>;
}

/** Builds every provider definition once, for one strategy. */
export function buildProviders(
  deps: ProviderRegistryDeps,
): Readonly<Record<ProviderId, AnyProviderDefinition>> {
  const built = {} as Record<ProviderId, AnyProviderDefinition>;
  for (const id of PROVIDER_IDS) {
    const plugin: ProviderPlugin = PROVIDERS[id];
    built[id] = plugin.create({
      http: deps.http,
      baseUrl: deps.baseUrls?.[id] ?? plugin.baseUrl ?? '',
      httpServices: deps.httpServices,
    });
  }
  return built;
}
