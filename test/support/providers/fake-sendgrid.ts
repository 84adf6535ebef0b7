import { recordSecretMaterial } from '../log-scan';
import {
  bearerOf,
  FakeProvider,
  type FakeRequest,
  type FakeResponse,
  type Route,
  randomToken,
} from './fake-provider';

/** A key the fake SendGrid holds. */
export interface SendgridKey {
  readonly id: string;
  readonly name: string;
  readonly secret: string;
  readonly scopes: readonly string[];
}

/** Scopes a key needs to manage other keys. */
export const SENDGRID_MANAGEMENT_SCOPES = [
  'api_keys.create',
  'api_keys.read',
  'api_keys.update',
  'api_keys.delete',
];
const MAX_KEYS = 100;

const errors = (status: number, message: string, field: string | null = null): FakeResponse => ({
  status,
  body: { errors: [{ field, message }] },
});

/**
 * A local SendGrid API Keys API: `POST /v3/api_keys`, `GET /v3/api_keys`,
 * `DELETE /v3/api_keys/{id}`, and `GET /v3/scopes`, with Bearer auth, per-key scopes (managing keys
 * needs `api_keys.*`), the 100-key account limit, and 69-character `SG.` keys shown only at
 * creation. Operations for faults: `create`, `list`, `delete`, `verify`.
 */
export class FakeSendgrid extends FakeProvider {
  readonly keys = new Map<string, SendgridKey>();

  /** Adds a key directly (the first key is made in the SendGrid app, not the API). */
  addKey(name: string, scopes: readonly string[]): SendgridKey {
    const key: SendgridKey = {
      id: randomToken(16),
      name,
      secret: `SG.${randomToken(16)}.${randomToken(32)}`,
      scopes: [...scopes],
    };
    recordSecretMaterial(key.secret);
    this.keys.set(key.id, key);
    return key;
  }

  /** A management key with the `api_keys.*` scopes. */
  addManagementKey(): SendgridKey {
    return this.addKey('handover-management', SENDGRID_MANAGEMENT_SCOPES);
  }

  /** The key a request authenticates with, if any. */
  private caller(request: FakeRequest): SendgridKey | undefined {
    const token = bearerOf(request);
    return [...this.keys.values()].find((key) => key.secret === token);
  }

  /** Names of the keys held, sorted. */
  names(): string[] {
    return [...this.keys.values()].map((k) => k.name).sort();
  }

  protected route(request: FakeRequest): Route | undefined {
    const path = request.url.pathname;
    const authorised = (scope: string, then: (caller: SendgridKey) => FakeResponse) => (): FakeResponse => {
      const caller = this.caller(request);
      if (caller === undefined) return errors(401, 'authorization required');
      if (scope !== '' && !caller.scopes.includes(scope)) return errors(403, 'access forbidden');
      return then(caller);
    };
    if (path === '/v3/api_keys' && request.method === 'POST') {
      return {
        operation: 'create',
        handle: authorised('api_keys.create', () => {
          let body: { name?: unknown; scopes?: unknown };
          try {
            body = JSON.parse(request.body) as typeof body;
          } catch {
            return errors(400, 'invalid JSON');
          }
          if (typeof body.name !== 'string' || body.name === '')
            return errors(400, 'missing required argument', 'name');
          if (this.keys.size >= MAX_KEYS) return errors(403, 'Cannot create more than 100 API keys');
          const scopes = Array.isArray(body.scopes) ? body.scopes.map(String) : ['full.access'];
          const key = this.addKey(body.name, scopes);
          this.effects.push(`create:${key.name}`);
          return {
            status: 201,
            body: { api_key: key.secret, api_key_id: key.id, name: key.name, scopes: [...key.scopes] },
          };
        }),
      };
    }
    if (path === '/v3/api_keys' && request.method === 'GET') {
      return {
        operation: 'list',
        handle: authorised('api_keys.read', () => {
          const limit = Number(request.url.searchParams.get('limit') ?? '50');
          const result = [...this.keys.values()]
            .slice(0, limit)
            .map((k) => ({ api_key_id: k.id, name: k.name }));
          return { status: 200, body: { result } };
        }),
      };
    }
    const one = /^\/v3\/api_keys\/([^/]+)$/.exec(path);
    if (one?.[1] !== undefined && request.method === 'DELETE') {
      const id = decodeURIComponent(one[1]);
      return {
        operation: 'delete',
        handle: authorised('api_keys.delete', () => {
          const key = this.keys.get(id);
          if (key === undefined) return errors(404, 'unable to find API Key');
          this.keys.delete(id);
          this.effects.push(`delete:${key.name}`);
          return { status: 204 };
        }),
      };
    }
    if (path === '/v3/scopes' && request.method === 'GET') {
      return {
        operation: 'verify',
        handle: authorised('', (caller) => ({
          status: 200,
          body: { scopes: [...caller.scopes, '2fa_required'] },
        })),
      };
    }
    return undefined;
  }
}
