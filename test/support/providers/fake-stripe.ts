import { recordSecretMaterial } from '../log-scan';
import { bearerOf, FakeProvider, type FakeRequest, type Route, randomToken } from './fake-provider';

/**
 * A local Stripe API, as far as an operator-assisted rotation uses it: `GET /v1/balance` with
 * `Authorization: Bearer <secret or restricted key>` answers the balance object for a key it knows
 * and 401 `invalid_request_error` otherwise (quoting only the key's last four characters, as Stripe
 * does). Keys are made as a person makes them in the Dashboard ({@link FakeStripe.createKey},
 * {@link FakeStripe.rollKey}). Operation for faults: `verify`.
 */
export class FakeStripe extends FakeProvider {
  /** Live keys (the value) by their Dashboard id. */
  readonly keys = new Map<string, string>();

  /** A new key, as "Create restricted key" or "Roll key..." in the Dashboard shows it once. */
  createKey(kind: 'sk' | 'rk' = 'rk', mode: 'live' | 'test' = 'live'): string {
    const key = `${kind}_${mode}_${randomToken(60).replace(/[^A-Za-z0-9]/g, 'x')}`;
    recordSecretMaterial(key);
    this.keys.set(`${kind}_${mode}_...${key.slice(-4)}`, key);
    return key;
  }

  /** "Roll key..." with the expiration "now": the old key stops working, a new one is returned. */
  rollKey(old: string): string {
    for (const [id, key] of this.keys) if (key === old) this.keys.delete(id);
    return this.createKey(old.startsWith('sk_') ? 'sk' : 'rk', old.includes('_test_') ? 'test' : 'live');
  }

  protected route(request: FakeRequest): Route | undefined {
    if (request.url.pathname === '/v1/balance' && request.method === 'GET') {
      return {
        operation: 'verify',
        handle: () => {
          const key = bearerOf(request);
          if (key === undefined || ![...this.keys.values()].includes(key)) {
            return {
              status: 401,
              body: {
                error: {
                  type: 'invalid_request_error',
                  message: `Invalid API Key provided: ${key === undefined ? '(none)' : `****${key.slice(-4)}`}`,
                },
              },
            };
          }
          return {
            status: 200,
            body: {
              object: 'balance',
              available: [{ amount: 0, currency: 'usd' }],
              livemode: key.includes('_live_'),
              pending: [],
            },
          };
        },
      };
    }
    return undefined;
  }
}
