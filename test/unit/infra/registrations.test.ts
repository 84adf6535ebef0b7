/**
 * What the compiler cannot say when a plug-in is added: a file nobody registered, a registration
 * under the wrong key, a page nobody wrote. The exhaustive records (`CREDENTIAL_TYPES` ->
 * `STRATEGIES`, `ROTATION_TYPES`; `CONSUMER_CONTRACTS` -> `CONSUMER_RUNTIMES`) catch the rest at
 * compile time. The recipes are in docs/extending.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROTATION_TYPES } from '../../../infra/constructs/credential-types';
import { REPO_ROOT } from '../../../infra/paths';
import { PROVIDERS } from '../../../lambdas/credentials/api-key/provider-registry';
import { CONSUMER_RUNTIMES } from '../../../lambdas/rollout/consumers';
import { CONSUMER_CONTRACTS, CONSUMER_KINDS } from '../../../lambdas/rollout/consumers/contracts';
import { READER_SOURCE_RUNTIMES } from '../../../lambdas/rollout/readers/sources';
import {
  READER_SOURCE_CONTRACTS,
  READER_SOURCE_KINDS,
} from '../../../lambdas/rollout/readers/sources/contracts';
import { CREDENTIAL_TYPES } from '../../../lambdas/rotation/constants';

const path = (...parts: string[]) => join(REPO_ROOT, ...parts);
const read = (...parts: string[]) => readFileSync(path(...parts), 'utf8');

describe('Registrations: credential types', () => {
  const folders = readdirSync(path('lambdas', 'credentials'), { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(path('lambdas', 'credentials', entry.name, 'contract.ts')),
    )
    .map((entry) => entry.name)
    .filter((name) => name !== 'database');

  it.each(folders)('lists lambdas/credentials/%s in CREDENTIAL_TYPES', (folder) => {
    expect(
      CREDENTIAL_TYPES as readonly string[],
      `lambdas/credentials/${folder}/contract.ts declares a credential type, but CREDENTIAL_TYPES in lambdas/rotation/constants.ts does not list '${folder}': add it there, then fill in what the compiler asks for (STRATEGIES, ROTATION_TYPES). See docs/extending.md.`,
    ).toContain(folder);
  });

  it.each(CREDENTIAL_TYPES)('has the folder, handler, contract and page of %s', (type) => {
    const handler = path('lambdas', 'credentials', type, 'handler.ts');
    expect(
      existsSync(handler),
      `${type}: lambdas/credentials/${type}/handler.ts (the Lambda entry) is missing`,
    ).toBe(true);
    expect(
      read('lambdas', 'credentials', type, 'handler.ts'),
      `${type}: handler.ts must export handler`,
    ).toMatch(/export const handler = /);
    expect(
      ROTATION_TYPES[type].contract.id,
      `ROTATION_TYPES['${type}'] holds the contract of '${ROTATION_TYPES[type].contract.id}'`,
    ).toBe(type);
    expect(
      existsSync(path('docs', 'credentials', `${type}.md`)),
      `${type}: docs/credentials/${type}.md (its reference page) is missing`,
    ).toBe(true);
    expect(
      read('README.md'),
      `${type}: README's table of credential types has no row for \`${type}\``,
    ).toContain(`| \`${type}\``);
  });
});

describe('Registrations: consumer kinds', () => {
  const contracts = readdirSync(path('lambdas', 'rollout', 'consumers'))
    .filter((file) => file.endsWith('.contract.ts'))
    .map((file) => file.replace(/\.contract\.ts$/, ''));

  it.each(contracts)('registers consumers/%s.contract.ts in CONSUMER_CONTRACTS', (kind) => {
    expect(
      CONSUMER_KINDS as readonly string[],
      `lambdas/rollout/consumers/${kind}.contract.ts is not registered: add it to CONSUMER_CONTRACTS in lambdas/rollout/consumers/contracts.ts, then fill in what the compiler asks for (CONSUMER_RUNTIMES). See docs/extending.md.`,
    ).toContain(kind);
  });

  it.each(CONSUMER_KINDS)('has the adapter, contract, runtime and documentation of %s', (kind) => {
    expect(CONSUMER_CONTRACTS[kind].kind, `CONSUMER_CONTRACTS['${kind}'] holds another kind's contract`).toBe(
      kind,
    );
    expect(
      CONSUMER_RUNTIMES[kind].config,
      `CONSUMER_RUNTIMES['${kind}'] runs another kind's configuration`,
    ).toBe(CONSUMER_CONTRACTS[kind].config);
    expect(
      existsSync(path('lambdas', 'rollout', 'consumers', `${kind}.ts`)),
      `${kind}: its adapter lambdas/rollout/consumers/${kind}.ts is missing`,
    ).toBe(true);
    expect(
      read('docs', 'consumers.md'),
      `${kind}: docs/consumers.md does not describe kind '${kind}'`,
    ).toContain(`\`${kind}\``);
  });
});

describe('Registrations: reader sources', () => {
  const contracts = readdirSync(path('lambdas', 'rollout', 'readers', 'sources'))
    .filter((file) => file.endsWith('.contract.ts'))
    .map((file) => file.replace(/\.contract\.ts$/, ''));

  it.each(contracts)('registers readers/sources/%s.contract.ts in READER_SOURCE_CONTRACTS', (kind) => {
    expect(
      READER_SOURCE_KINDS as readonly string[],
      `lambdas/rollout/readers/sources/${kind}.contract.ts is not registered: add it to READER_SOURCE_CONTRACTS in lambdas/rollout/readers/sources/contracts.ts, then fill in what the compiler asks for (READER_SOURCE_RUNTIMES). See docs/extending.md.`,
    ).toContain(kind);
  });

  it.each(READER_SOURCE_KINDS)('has the runtime, contract and documentation of %s', (kind) => {
    expect(READER_SOURCE_CONTRACTS[kind].kind).toBe(kind);
    expect(
      READER_SOURCE_RUNTIMES[kind].config,
      `READER_SOURCE_RUNTIMES['${kind}'] runs another source's configuration`,
    ).toBe(READER_SOURCE_CONTRACTS[kind].config);
    expect(
      existsSync(path('lambdas', 'rollout', 'readers', 'sources', `${kind}.ts`)),
      `${kind}: its runtime lambdas/rollout/readers/sources/${kind}.ts is missing`,
    ).toBe(true);
    expect(
      read('docs', 'readers.md'),
      `${kind}: docs/readers.md does not describe source '${kind}'`,
    ).toContain(`\`${kind}\``);
  });
});

describe('Registrations: API-key providers', () => {
  const root = path('lambdas', 'credentials', 'api-key', 'providers');
  const files = readdirSync(root, { withFileTypes: true }).map((entry) =>
    entry.isDirectory() ? join(entry.name, 'provider.ts') : entry.name,
  );
  const plugins = files.flatMap((file) =>
    [
      ...readFileSync(join(root, file), 'utf8').matchAll(
        /export const (\w+) = \{[^;]*?\} satisfies ProviderPlugin;/gs,
      ),
    ].map((match) => [file, match[1] ?? ''] as const),
  );

  it('finds the providers', () => {
    expect(plugins.length).toBeGreaterThan(0);
  });

  it.each(plugins)('registers the plugin of providers/%s (%s) in PROVIDERS', (file, plugin) => {
    expect(
      Object.keys(PROVIDERS),
      `lambdas/credentials/api-key/providers/${file} exports the provider plugin '${plugin}', but PROVIDERS in lambdas/credentials/api-key/provider-registry.ts does not list it: add it there. See docs/extending.md.`,
    ).toContain(plugin);
  });
});
