import { ConfigurationError } from '../../../../shared/errors';
import type { HttpMethod } from '../../http-client';
import { type JsonPath, parseJsonPath } from './json-path';

/** The environment variable (and option) that holds the generic HTTP services' configuration. */
export const HTTP_SERVICES_VARIABLE = 'HANDOVER_API_KEY_HTTP_SERVICES';

/**
 * How a request authenticates. The management credential and the issued key both use one:
 * - `bearer`: `Authorization: Bearer <token>`
 * - `basic`: `Authorization: Basic base64(<user>:<password>)`; for an issued key the user is its id
 * - `header`: `<name>: <prefix><token>`, e.g. `X-Api-Key: <key>`
 */
export type HttpAuthScheme =
  | { readonly type: 'bearer' }
  | { readonly type: 'basic' }
  | { readonly type: 'header'; readonly name: string; readonly prefix?: string };

/** An endpoint: method and path template below the base URL. */
export interface HttpEndpoint {
  readonly method: HttpMethod;
  /** Path (and query) template, e.g. `/v1/keys/{keyId}`. */
  readonly path: string;
}

/**
 * One generic HTTP service, validated. Templates may use `{name}` (the key's deterministic name),
 * `{keyId}` (where a key exists: verify, delete, lastUsed) and `{params.<field>}` (non-secret
 * values from the rotated secret's `params` object). Secrets never go into templates: they travel
 * only in the authentication header of the scheme.
 */
export interface HttpProviderConfig {
  readonly service: string;
  readonly displayName: string;
  /** `https://...`; plain `http://` only for a loopback host (local tests). */
  readonly baseUrl: string;
  readonly managementAuth: HttpAuthScheme;
  readonly keyAuth: HttpAuthScheme;
  /** Extra headers on every request (templates: `{params.<field>}` only). */
  readonly headers: Readonly<Record<string, string>>;
  /** Creates a key; the response holds its id and secret at the given JSON paths. */
  readonly create: HttpEndpoint & {
    /** JSON body template. String leaves that are exactly `{params.x}` take the param's JSON value. */
    readonly body: unknown;
    readonly keyIdPath: JsonPath;
    readonly secretPath: JsonPath;
  };
  /** Any request that succeeds (2xx) only with a valid key, authenticated with the key. */
  readonly verify: HttpEndpoint;
  /** Deletes a key; the path contains `{keyId}`. 404 and 410 count as already deleted. */
  readonly delete: HttpEndpoint;
  /** Lists keys, for orphan clean-up. All keys in one response (no pagination). */
  readonly list?: HttpEndpoint & {
    readonly itemsPath: JsonPath;
    readonly idPath: JsonPath;
    readonly namePath: JsonPath;
  };
  /** Reads one key's last use: an ISO-8601 string, epoch seconds, or null (never used). */
  readonly lastUsed?: HttpEndpoint & { readonly lastUsedPath: JsonPath };
  /** `params` fields the templates use: every secret of this service must carry them. */
  readonly requiredParams: readonly string[];
}

/** Validated services by name. */
export type HttpServices = ReadonlyMap<string, HttpProviderConfig>;

const SERVICE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

const SERVICE_FIELDS = new Set([
  'displayName',
  'baseUrl',
  'managementAuth',
  'keyAuth',
  'headers',
  'create',
  'verify',
  'delete',
  'list',
  'lastUsed',
]);

type Placeholder = 'name' | 'keyId';

interface EndpointRule {
  readonly methods: readonly HttpMethod[];
  readonly defaultMethod: HttpMethod;
  readonly allowed: readonly Placeholder[];
  readonly requires?: Placeholder;
  readonly paths: readonly string[];
}

const ENDPOINTS = {
  create: {
    methods: ['POST', 'PUT'],
    defaultMethod: 'POST',
    allowed: ['name'],
    paths: ['keyIdPath', 'secretPath'],
  },
  verify: { methods: ['GET', 'HEAD', 'POST'], defaultMethod: 'GET', allowed: ['keyId'], paths: [] },
  delete: {
    methods: ['DELETE', 'POST'],
    defaultMethod: 'DELETE',
    allowed: ['keyId'],
    requires: 'keyId',
    paths: [],
  },
  list: {
    methods: ['GET'],
    defaultMethod: 'GET',
    allowed: ['name'],
    paths: ['itemsPath', 'idPath', 'namePath'],
  },
  lastUsed: {
    methods: ['GET'],
    defaultMethod: 'GET',
    allowed: ['keyId'],
    requires: 'keyId',
    paths: ['lastUsedPath'],
  },
} as const satisfies Record<string, EndpointRule>;

type EndpointName = keyof typeof ENDPOINTS;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Placeholders in a template string, e.g. `['keyId', 'params.org']`. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
}

/** Collects problems in one template string; records the params it uses. */
function checkTemplate(
  where: string,
  template: string,
  allowed: readonly Placeholder[],
  params: Set<string>,
  problems: string[],
): void {
  for (const name of placeholdersOf(template)) {
    if (name.startsWith('params.')) {
      const param = name.slice('params.'.length);
      if (PARAM_NAME.test(param)) params.add(param);
      else problems.push(`${where}: placeholder {${name}} must name a param matching ${PARAM_NAME.source}`);
    } else if (!(allowed as readonly string[]).includes(name)) {
      const options = [...allowed.map((a) => `{${a}}`), '{params.<field>}'].join(', ');
      problems.push(`${where}: unknown placeholder {${name}} (allowed here: ${options})`);
    }
  }
  if (/[{}]/.test(template.replace(PLACEHOLDER, ''))) {
    problems.push(`${where}: unbalanced "{" or "}"`);
  }
}

function checkBody(where: string, node: unknown, params: Set<string>, problems: string[], depth = 0): void {
  if (depth > 10) {
    problems.push(`${where}: nested too deeply (at most 10 levels)`);
    return;
  }
  if (typeof node === 'string') checkTemplate(where, node, ['name'], params, problems);
  else if (Array.isArray(node))
    node.forEach((item, i) => {
      checkBody(`${where}[${i}]`, item, params, problems, depth + 1);
    });
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node))
      checkBody(`${where}.${key}`, value, params, problems, depth + 1);
  } else if (!(node === null || typeof node === 'number' || typeof node === 'boolean')) {
    problems.push(`${where}: must be JSON`);
  }
}

function checkAuth(where: string, value: unknown, problems: string[]): HttpAuthScheme | undefined {
  if (!isObject(value)) {
    problems.push(`${where} is required: {"type": "bearer" | "basic" | "header", ...}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!['type', 'name', 'prefix'].includes(key)) problems.push(`${where}: unknown field "${key}"`);
  }
  switch (value.type) {
    case 'bearer':
    case 'basic':
      if (value.name !== undefined || value.prefix !== undefined) {
        problems.push(`${where}: "name" and "prefix" apply to type "header" only`);
      }
      return { type: value.type };
    case 'header': {
      if (typeof value.name !== 'string' || !HEADER_NAME.test(value.name)) {
        problems.push(`${where}.name must be an HTTP header name, e.g. "X-Api-Key"`);
        return undefined;
      }
      if (value.prefix !== undefined && typeof value.prefix !== 'string') {
        problems.push(`${where}.prefix must be a string`);
        return undefined;
      }
      return {
        type: 'header',
        name: value.name,
        ...(typeof value.prefix === 'string' ? { prefix: value.prefix } : {}),
      };
    }
    default:
      problems.push(`${where}.type must be one of bearer, basic, header, got ${JSON.stringify(value.type)}`);
      return undefined;
  }
}

/**
 * Checks a base URL: absolute, `https` (plain `http` only for a loopback host, for local tests),
 * no credentials, query or fragment. Pushes problems; returns the URL without trailing slashes.
 */
export function checkBaseUrl(where: string, value: unknown, problems: string[]): string | undefined {
  if (typeof value !== 'string' || value === '') {
    problems.push(`${where} is required: a base URL, e.g. "https://api.example.com"`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${where} must be an absolute URL, got ${JSON.stringify(value)}`);
    return undefined;
  }
  const before = problems.length;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    problems.push(
      `${where} must use https (plain http only for 127.0.0.1 / localhost), got ${url.protocol}//${url.host}`,
    );
  }
  if (url.username !== '' || url.password !== '') problems.push(`${where} must not contain credentials`);
  if (url.search !== '' || url.hash !== '') problems.push(`${where} must not have a query or fragment`);
  return problems.length === before ? value.replace(/\/+$/, '') : undefined;
}

function checkEndpoint(
  service: string,
  name: EndpointName,
  value: unknown,
  params: Set<string>,
  problems: string[],
): CheckedEndpoint | undefined {
  const where = `${service}.${name}`;
  const rule: EndpointRule = ENDPOINTS[name];
  if (!isObject(value)) {
    problems.push(`${where} must be an object with at least "path"`);
    return undefined;
  }
  const known = new Set(['method', 'path', ...rule.paths, ...(name === 'create' ? ['body'] : [])]);
  for (const key of Object.keys(value)) {
    if (!known.has(key))
      problems.push(`${where}: unknown field "${key}" (allowed: ${[...known].join(', ')})`);
  }
  const before = problems.length;
  const method = value.method ?? rule.defaultMethod;
  if (typeof method !== 'string' || !(rule.methods as readonly string[]).includes(method)) {
    problems.push(`${where}.method must be one of ${rule.methods.join(', ')}, got ${JSON.stringify(method)}`);
  }
  if (typeof value.path !== 'string' || !value.path.startsWith('/')) {
    problems.push(`${where}.path must be a path starting with "/", got ${JSON.stringify(value.path)}`);
  } else {
    checkTemplate(`${where}.path`, value.path, rule.allowed, params, problems);
    if (rule.requires !== undefined && !placeholdersOf(value.path).includes(rule.requires)) {
      problems.push(`${where}.path must contain {${rule.requires}}`);
    }
  }
  const jsonPaths = new Map<string, JsonPath>();
  for (const field of rule.paths) {
    const text = value[field];
    if (typeof text !== 'string') {
      problems.push(`${where}.${field} is required: a JSON path into the response, e.g. "data.id"`);
      continue;
    }
    try {
      jsonPaths.set(field, parseJsonPath(text));
    } catch (error) {
      problems.push(`${where}.${field} ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const body = name === 'create' ? (value.body ?? { name: '{name}' }) : undefined;
  if (body !== undefined) checkBody(`${where}.body`, body, params, problems);
  if (problems.length > before) return undefined;
  const jsonPath = (field: string): JsonPath => {
    const path = jsonPaths.get(field);
    if (path === undefined) throw new Error(`internal: ${where}.${field} was not checked`);
    return path;
  };
  return { method: method as HttpMethod, path: String(value.path), body, jsonPath };
}

/** A checked endpoint, before it takes its typed place in the configuration. */
interface CheckedEndpoint extends HttpEndpoint {
  readonly body: unknown;
  jsonPath(field: string): JsonPath;
}

/** Validates one service; pushes every problem found. */
function checkService(service: string, value: unknown, problems: string[]): HttpProviderConfig | undefined {
  const before = problems.length;
  if (!SERVICE_NAME.test(service)) {
    problems.push(`service name ${JSON.stringify(service)} must match ${SERVICE_NAME.source}`);
  }
  if (!isObject(value)) {
    problems.push(`${service} must be an object`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!SERVICE_FIELDS.has(key)) problems.push(`${service}: unknown field "${key}"`);
  }
  const params = new Set<string>();
  if (
    value.displayName !== undefined &&
    (typeof value.displayName !== 'string' || value.displayName === '')
  ) {
    problems.push(`${service}.displayName must be a non-empty string`);
  }
  const baseUrl = checkBaseUrl(`${service}.baseUrl`, value.baseUrl, problems);
  const managementAuth = checkAuth(`${service}.managementAuth`, value.managementAuth, problems);
  const keyAuth = checkAuth(`${service}.keyAuth`, value.keyAuth, problems);
  const headers: Record<string, string> = {};
  if (value.headers !== undefined) {
    if (!isObject(value.headers))
      problems.push(`${service}.headers must be an object of header names to strings`);
    else {
      for (const [name, header] of Object.entries(value.headers)) {
        const where = `${service}.headers.${name}`;
        if (!HEADER_NAME.test(name)) problems.push(`${where}: not a valid header name`);
        else if (name.toLowerCase() === 'authorization') {
          problems.push(`${where}: set authentication with managementAuth / keyAuth, not a header`);
        } else if (typeof header !== 'string') problems.push(`${where} must be a string`);
        else {
          checkTemplate(where, header, [], params, problems);
          headers[name] = header;
        }
      }
    }
  }
  const endpoints: Partial<Record<EndpointName, CheckedEndpoint>> = {};
  for (const name of Object.keys(ENDPOINTS) as EndpointName[]) {
    const optional = name === 'list' || name === 'lastUsed';
    if (optional && value[name] === undefined) continue;
    const endpoint = checkEndpoint(service, name, value[name], params, problems);
    if (endpoint !== undefined) endpoints[name] = endpoint;
  }
  const { create, verify, delete: remove, list, lastUsed } = endpoints;
  if (
    problems.length > before ||
    baseUrl === undefined ||
    managementAuth === undefined ||
    keyAuth === undefined ||
    create === undefined ||
    verify === undefined ||
    remove === undefined
  ) {
    return undefined;
  }
  const endpoint = (e: CheckedEndpoint): HttpEndpoint => ({ method: e.method, path: e.path });
  return {
    service,
    displayName: typeof value.displayName === 'string' ? value.displayName : service,
    baseUrl,
    managementAuth,
    keyAuth,
    headers,
    create: {
      ...endpoint(create),
      body: create.body,
      keyIdPath: create.jsonPath('keyIdPath'),
      secretPath: create.jsonPath('secretPath'),
    },
    verify: endpoint(verify),
    delete: endpoint(remove),
    ...(list === undefined
      ? {}
      : {
          list: {
            ...endpoint(list),
            itemsPath: list.jsonPath('itemsPath'),
            idPath: list.jsonPath('idPath'),
            namePath: list.jsonPath('namePath'),
          },
        }),
    ...(lastUsed === undefined
      ? {}
      : { lastUsed: { ...endpoint(lastUsed), lastUsedPath: lastUsed.jsonPath('lastUsedPath') } }),
    requiredParams: [...params].sort(),
  };
}

/**
 * Validates the generic HTTP services (a JSON object: service name -> configuration) and reports
 * EVERY problem at once in one `ConfigurationError`, so a broken configuration is fixed in one
 * go. Accepts the parsed object or its JSON text.
 *
 * @example
 * ```ts
 * const services = parseHttpServices({
 *   acme: {
 *     baseUrl: 'https://api.acme.example',
 *     managementAuth: { type: 'bearer' },
 *     keyAuth: { type: 'header', name: 'X-Api-Key' },
 *     create: { path: '/v1/keys', body: { name: '{name}', scopes: '{params.scopes}' },
 *               keyIdPath: 'data.id', secretPath: 'data.secret' },
 *     verify: { path: '/v1/me' },
 *     delete: { path: '/v1/keys/{keyId}' },
 *     list: { path: '/v1/keys', itemsPath: 'data', idPath: 'id', namePath: 'name' },
 *   },
 * });
 * ```
 */
export function parseHttpServices(input: unknown): HttpServices {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new ConfigurationError(HTTP_SERVICES_VARIABLE, `${HTTP_SERVICES_VARIABLE} must be a JSON object`);
    }
  }
  if (!isObject(value)) {
    throw new ConfigurationError(
      HTTP_SERVICES_VARIABLE,
      `${HTTP_SERVICES_VARIABLE} must be a JSON object of service name -> configuration`,
    );
  }
  const problems: string[] = [];
  const services = new Map<string, HttpProviderConfig>();
  for (const [name, config] of Object.entries(value)) {
    const checked = checkService(name, config, problems);
    if (checked !== undefined) services.set(name, checked);
  }
  if (problems.length > 0) {
    throw new ConfigurationError(
      HTTP_SERVICES_VARIABLE,
      `invalid generic HTTP provider configuration (${HTTP_SERVICES_VARIABLE}), ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}`,
    );
  }
  return services;
}

/** Values a template can use. */
export interface TemplateValues {
  readonly name?: string;
  readonly keyId?: string;
  readonly params: Readonly<Record<string, unknown>>;
}

function placeholderValue(placeholder: string, values: TemplateValues): unknown {
  if (placeholder === 'name') return values.name;
  if (placeholder === 'keyId') return values.keyId;
  if (placeholder.startsWith('params.')) return values.params[placeholder.slice('params.'.length)];
  return undefined;
}

const asText = (value: unknown) =>
  typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);

/** Fills a path template: every value is URL-encoded, so it cannot change the path's shape. */
export function renderPath(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_, name: string) =>
    encodeURIComponent(asText(placeholderValue(name, values))),
  );
}

/** Fills a header template. */
export function renderHeader(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_, name: string) =>
    asText(placeholderValue(name, values)).replace(/[\r\n]/g, ''),
  );
}

/** Fills a JSON body template; a string leaf that is exactly one placeholder takes its JSON value. */
export function renderBody(template: unknown, values: TemplateValues): unknown {
  if (typeof template === 'string') {
    const whole = /^\{([^{}]*)\}$/.exec(template);
    if (whole !== null) return placeholderValue(whole[1] ?? '', values) ?? null;
    return template.replace(PLACEHOLDER, (_, name: string) => asText(placeholderValue(name, values)));
  }
  if (Array.isArray(template)) return template.map((item) => renderBody(item, values));
  if (isObject(template)) {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, renderBody(v, values)]));
  }
  return template;
}
