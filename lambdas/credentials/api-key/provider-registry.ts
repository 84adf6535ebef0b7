import type { ProviderDefinition, ProviderDeps, ProviderFactory, ProviderId } from './provider';
import { createHttpProvider } from './providers/http/provider';
import { createSendgridProvider } from './providers/sendgrid';
import { createTwilioProvider } from './providers/twilio';

const erase = <S>(definition: ProviderDefinition<S>) => definition as ProviderDefinition;

/**
 * Every provider and how to build it. An exhaustive `Record`: a new id in `PROVIDER_IDS` does not
 * compile until it is registered here. Each factory gets only the dependencies it uses.
 */
export const PROVIDERS: Readonly<Record<ProviderId, ProviderFactory>> = {
  sendgrid: ({ http, baseUrls }) => erase(createSendgridProvider({ http, baseUrl: baseUrls.sendgrid })),
  twilio: ({ http, baseUrls }) => erase(createTwilioProvider({ http, baseUrl: baseUrls.twilio })),
  http: ({ http, httpServices }) => erase(createHttpProvider({ http, services: httpServices })),
};

/** Builds every provider definition once, for one strategy. */
export function buildProviders(deps: ProviderDeps): Readonly<Record<ProviderId, ProviderDefinition>> {
  return {
    sendgrid: PROVIDERS.sendgrid(deps),
    twilio: PROVIDERS.twilio(deps),
    http: PROVIDERS.http(deps),
  };
}
