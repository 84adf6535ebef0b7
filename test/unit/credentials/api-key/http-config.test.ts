import { describe, expect, it } from 'vitest';
import {
  parseHttpServices,
  renderBody,
  renderHeader,
  renderPath,
} from '../../../../lambdas/credentials/api-key/providers/http/config';
import { ConfigurationError } from '../../../../lambdas/shared/errors';
import { FakeKeyService } from '../../../support/providers';

const valid = () => new FakeKeyService().config('https://acme.example');

function problemsOf(input: unknown): string {
  try {
    parseHttpServices(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).variable).toBe('HANDOVER_API_KEY_HTTP_SERVICES');
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('parseHttpServices', () => {
  it('accepts a complete configuration and parses its JSON paths and required params', () => {
    const services = parseHttpServices({ acme: valid() });
    const acme = services.get('acme');

    expect(acme).toMatchObject({
      service: 'acme',
      displayName: 'Acme Keys',
      baseUrl: 'https://acme.example',
      managementAuth: { type: 'bearer' },
      keyAuth: { type: 'header', name: 'X-Api-Key' },
      create: { method: 'POST', path: '/v1/keys' },
      verify: { method: 'GET', path: '/v1/me' },
      delete: { method: 'DELETE', path: '/v1/keys/{keyId}' },
      requiredParams: ['project', 'scopes'],
    });
    expect(acme?.create.keyIdPath.segments).toEqual(['data', 'id']);
    expect(acme?.list?.itemsPath.segments).toEqual(['data', 'items']);
    expect(acme?.lastUsed?.lastUsedPath.segments).toEqual(['data', 'last_used_at']);
  });

  it('accepts the JSON text of the configuration, as the environment variable carries it', () => {
    expect(parseHttpServices(JSON.stringify({ acme: valid() })).has('acme')).toBe(true);
  });

  it('fills defaults: POST create with a {name} body, GET verify, DELETE delete, display name = service', () => {
    const services = parseHttpServices({
      minimal: {
        baseUrl: 'https://keys.example/api/',
        managementAuth: { type: 'basic' },
        keyAuth: { type: 'bearer' },
        create: { path: '/keys', keyIdPath: 'id', secretPath: 'secret' },
        verify: { path: '/whoami' },
        delete: { path: '/keys/{keyId}' },
      },
    });
    const minimal = services.get('minimal');

    expect(minimal).toMatchObject({
      displayName: 'minimal',
      baseUrl: 'https://keys.example/api',
      create: { method: 'POST', body: { name: '{name}' } },
      verify: { method: 'GET' },
      delete: { method: 'DELETE' },
      requiredParams: [],
    });
    expect(minimal?.list).toBeUndefined();
    expect(minimal?.lastUsed).toBeUndefined();
  });

  it('accepts plain http for a loopback host only', () => {
    expect(parseHttpServices({ acme: { ...valid(), baseUrl: 'http://127.0.0.1:8080' } }).size).toBe(1);
    expect(problemsOf({ acme: { ...valid(), baseUrl: 'http://acme.example' } })).toContain(
      'acme.baseUrl must use https (plain http only for 127.0.0.1 / localhost), got http://acme.example',
    );
  });

  it('lists every problem of every service in one error', () => {
    const message = problemsOf({
      acme: {
        ...valid(),
        baseUrl: 'https://user:pw@acme.example?x=1',
        managementAuth: { type: 'oauth' },
        keyAuth: { type: 'header' },
        headers: { Authorization: 'Bearer {params.token}', 'X-Ok': '{secret}' },
        create: { method: 'GET', path: 'v1/keys', keyIdPath: 'data..id', body: { name: '{nam}' } },
        verify: { path: '/v1/me', extra: true },
        delete: { path: '/v1/keys' },
        list: { path: '/v1/keys', itemsPath: 'data.items' },
        lastUsed: { path: '/v1/keys/{keyId}', lastUsedPath: '$' },
        unknown: 1,
      },
      'Bad Name': { baseUrl: 'https://x.example' },
    });

    const expected = [
      'acme: unknown field "unknown"',
      'acme.baseUrl must not contain credentials',
      'acme.baseUrl must not have a query or fragment',
      'acme.managementAuth.type must be one of bearer, basic, header, got "oauth"',
      'acme.keyAuth.name must be an HTTP header name',
      'acme.headers.Authorization: set authentication with managementAuth / keyAuth, not a header',
      'acme.headers.X-Ok: unknown placeholder {secret}',
      'acme.create.method must be one of POST, PUT, got "GET"',
      'acme.create.path must be a path starting with "/", got "v1/keys"',
      'acme.create.keyIdPath expected a member name after "." at position 5',
      'acme.create.secretPath is required',
      'acme.create.body.name: unknown placeholder {nam}',
      'acme.verify: unknown field "extra"',
      'acme.delete.path must contain {keyId}',
      'acme.list.idPath is required',
      'acme.list.namePath is required',
      'acme.lastUsed.lastUsedPath must name a value inside the document',
      'service name "Bad Name" must match',
      'Bad Name.managementAuth is required',
      'Bad Name.create must be an object',
    ];
    for (const problem of expected) expect(message).toContain(problem);
    expect(message).toMatch(
      /^invalid generic HTTP provider configuration \(HANDOVER_API_KEY_HTTP_SERVICES\), \d+ problems: /,
    );
  });

  it.each([
    [
      'the create path',
      { create: { ...(valid().create as object), path: '/v1/{keyId}/keys' } },
      'acme.create.path: unknown placeholder {keyId}',
    ],
    [
      'a param name',
      { verify: { path: '/v1/{params.bad-name}' } },
      'acme.verify.path: placeholder {params.bad-name} must name a param',
    ],
    ['an unbalanced brace', { verify: { path: '/v1/{keyId' } }, 'acme.verify.path: unbalanced "{" or "}"'],
    [
      'the lastUsed path',
      { lastUsed: { path: '/v1/keys', lastUsedPath: 'at' } },
      'acme.lastUsed.path must contain {keyId}',
    ],
    [
      'a non-JSON body',
      { create: { ...(valid().create as object), body: { n: Number.NaN, f: () => 1 } } },
      'acme.create.body.f: must be JSON',
    ],
  ])('refuses a bad placeholder in %s', (_what, override, problem) => {
    expect(problemsOf({ acme: { ...valid(), ...override } })).toContain(problem);
  });

  it.each([
    ['not JSON', '{acme'],
    ['an array', '[]'],
    ['a string', '"acme"'],
  ])('refuses a configuration that is %s', (_what, text) => {
    expect(() => parseHttpServices(text)).toThrow(/HANDOVER_API_KEY_HTTP_SERVICES must be a JSON object/);
  });
});

describe('templates', () => {
  const values = {
    name: 'handover-app-1a2b',
    keyId: 'k/1 2',
    params: { org: 'o&1', scopes: ['read', 'write'], n: 3 },
  };

  it('URL-encodes every path value, so a value cannot change the path', () => {
    expect(renderPath('/orgs/{params.org}/keys/{keyId}?name={name}', values)).toBe(
      '/orgs/o%261/keys/k%2F1%202?name=handover-app-1a2b',
    );
  });

  it('gives a whole-placeholder body string the param JSON value, and interpolates the rest', () => {
    expect(
      renderBody(
        {
          name: '{name}',
          scopes: '{params.scopes}',
          count: '{params.n}',
          note: 'for {params.org}',
          fixed: [1, true],
        },
        values,
      ),
    ).toEqual({
      name: 'handover-app-1a2b',
      scopes: ['read', 'write'],
      count: 3,
      note: 'for o&1',
      fixed: [1, true],
    });
  });

  it('renders a missing param as null in a body and empty in a header, and strips line breaks from headers', () => {
    expect(renderBody({ x: '{params.missing}' }, values)).toEqual({ x: null });
    expect(renderHeader('a{params.missing}b', { params: { ...values.params, missing: undefined } })).toBe(
      'ab',
    );
    expect(renderHeader('{params.org}', { params: { org: 'x\r\nInjected: 1' } })).toBe('xInjected: 1');
  });
});
