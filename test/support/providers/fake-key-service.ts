import { recordSecretMaterial } from '../log-scan';
import {
  bearerOf,
  FakeProvider,
  type FakeRequest,
  type FakeResponse,
  type Route,
  randomToken,
} from './fake-provider';

/** A key the fake service holds. */
export interface ServiceKey {
  readonly id: number;
  readonly name: string;
  readonly token: string;
  readonly scopes: readonly string[];
  lastUsedAt: string | null;
}

const problem = (status: number, title: string): FakeResponse => ({
  status,
  body: { error: { title, status } },
});

/**
 * A local generic key service, the kind the declarative HTTP provider targets:
 * - `POST /v1/keys {name, scopes}` (admin Bearer token) -> 201 `{data: {id, name, token}}` (numeric ids)
 * - `GET /v1/keys` (admin) -> `{data: {items: [{id, name, last_used_at}]}}`
 * - `GET /v1/keys/{id}` (admin) -> `{data: {id, name, last_used_at}}`
 * - `DELETE /v1/keys/{id}` (admin) -> 204 / 404
 * - `GET /v1/me` with `X-Api-Key: <token>` -> 200; every use of a key records its `last_used_at`
 * Operations for faults: `create`, `list`, `lastUsed`, `delete`, `verify`.
 */
export class FakeKeyService extends FakeProvider {
  readonly adminToken = `admin-${randomToken(24)}`;
  readonly keys = new Map<number, ServiceKey>();
  private nextId = 1001;
  /** The clock `last_used_at` is read from. */
  now: () => Date = () => new Date();

  constructor() {
    super();
    recordSecretMaterial(this.adminToken);
  }

  /** Adds a key directly. */
  addKey(name: string, scopes: readonly string[] = []): ServiceKey {
    const key: ServiceKey = {
      id: this.nextId++,
      name,
      token: `svc_${randomToken(30)}`,
      scopes,
      lastUsedAt: null,
    };
    recordSecretMaterial(key.token);
    this.keys.set(key.id, key);
    return key;
  }

  /** A consumer calls the service with `token`; returns whether it was accepted. */
  use(token: string): boolean {
    const key = [...this.keys.values()].find((k) => k.token === token);
    if (key === undefined) return false;
    key.lastUsedAt = this.now().toISOString();
    return true;
  }

  /** Names of the keys held, sorted. */
  names(): string[] {
    return [...this.keys.values()].map((k) => k.name).sort();
  }

  /**
   * The generic provider configuration for this service (the JSON that goes into
   * `HANDOVER_API_KEY_HTTP_SERVICES`), with or without the optional list / lastUsed endpoints.
   */
  config(baseUrl: string, features: { list?: boolean; lastUsed?: boolean } = {}): Record<string, unknown> {
    return {
      displayName: 'Acme Keys',
      baseUrl,
      managementAuth: { type: 'bearer' },
      keyAuth: { type: 'header', name: 'X-Api-Key' },
      headers: { 'X-Acme-Project': '{params.project}' },
      create: {
        method: 'POST',
        path: '/v1/keys',
        body: { name: '{name}', scopes: '{params.scopes}' },
        keyIdPath: '$.data.id',
        secretPath: '$.data.token',
      },
      verify: { method: 'GET', path: '/v1/me' },
      delete: { method: 'DELETE', path: '/v1/keys/{keyId}' },
      ...(features.list === false
        ? {}
        : { list: { path: '/v1/keys', itemsPath: 'data.items', idPath: 'id', namePath: 'name' } }),
      ...(features.lastUsed === false
        ? {}
        : { lastUsed: { path: '/v1/keys/{keyId}', lastUsedPath: 'data.last_used_at' } }),
    };
  }

  protected route(request: FakeRequest): Route | undefined {
    const path = request.url.pathname;
    const admin = (then: () => FakeResponse) => (): FakeResponse => {
      const token = bearerOf(request);
      if (token === undefined) return problem(401, 'missing bearer token');
      if (token !== this.adminToken) return problem(401, 'invalid token');
      if (request.headers['x-acme-project'] === undefined) return problem(400, 'X-Acme-Project is required');
      return then();
    };
    const view = (k: ServiceKey) => ({ id: k.id, name: k.name, last_used_at: k.lastUsedAt });
    if (path === '/v1/keys' && request.method === 'POST') {
      return {
        operation: 'create',
        handle: admin(() => {
          let body: { name?: unknown; scopes?: unknown };
          try {
            body = JSON.parse(request.body) as typeof body;
          } catch {
            return problem(400, 'invalid JSON');
          }
          if (typeof body.name !== 'string' || body.name === '') return problem(422, 'name is required');
          const scopes = Array.isArray(body.scopes) ? body.scopes.map(String) : [];
          const key = this.addKey(body.name, scopes);
          this.effects.push(`create:${key.name}`);
          return { status: 201, body: { data: { id: key.id, name: key.name, token: key.token } } };
        }),
      };
    }
    if (path === '/v1/keys' && request.method === 'GET') {
      return {
        operation: 'list',
        handle: admin(() => ({ status: 200, body: { data: { items: [...this.keys.values()].map(view) } } })),
      };
    }
    const one = /^\/v1\/keys\/([0-9]+)$/.exec(path);
    if (one?.[1] !== undefined) {
      const id = Number(one[1]);
      if (request.method === 'GET') {
        return {
          operation: 'lastUsed',
          handle: admin(() => {
            const key = this.keys.get(id);
            return key === undefined
              ? problem(404, 'no such key')
              : { status: 200, body: { data: view(key) } };
          }),
        };
      }
      if (request.method === 'DELETE') {
        return {
          operation: 'delete',
          handle: admin(() => {
            const key = this.keys.get(id);
            if (key === undefined) return problem(404, 'no such key');
            this.keys.delete(id);
            this.effects.push(`delete:${key.name}`);
            return { status: 204 };
          }),
        };
      }
    }
    if (path === '/v1/me' && request.method === 'GET') {
      return {
        operation: 'verify',
        handle: () => {
          const token = request.headers['x-api-key'];
          if (token === undefined || !this.use(token)) return problem(401, 'invalid api key');
          return { status: 200, body: { data: { ok: true } } };
        },
      };
    }
    return undefined;
  }
}
