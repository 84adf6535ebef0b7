import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import '../../../local/workflow/promise-with-resolvers';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface LockPackage {
  readonly version?: string;
  readonly dev?: boolean;
  readonly engines?: Readonly<Record<string, string>> | readonly string[];
}

const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockPackage> };
const manifest = JSON.parse(read('package.json')) as { engines: { node: string } };

/**
 * Dependencies whose `engines.node` does not accept the Node.js version Handover states, each with
 * why it is acceptable. Anything else that does not accept it fails this test: raise the stated
 * version, pick another version of the dependency, or add it here with a reason that holds.
 */
const KNOWN_EXCEPTIONS: Readonly<Record<string, { readonly engines: string; readonly reason: string }>> = {
  'node_modules/aws-local-stepfunctions': {
    engines: '>=22.0.0',
    reason:
      'dev dependency only (the local executor of the rollout state machine in tests and the sandbox); ' +
      'its one Node 22 API, Promise.withResolvers, is polyfilled on Node 20 by ' +
      'local/emulator/promise-with-resolvers.ts, which local/emulator/sfn-executions.ts and (through local/workflow/promise-with-resolvers.ts) local/workflow/local-step-functions.ts import first',
  },
};

/** The Node.js version README states: "Node.js <major>.<minor> or later" in its requirements. */
function readmeNodeVersion(): string {
  const match = /Requirements: Node\.js (\d+\.\d+) or later/.exec(read('README.md'));
  if (match?.[1] === undefined) throw new Error('README states no "Requirements: Node.js x.y or later"');
  return match[1];
}

const nodeRange = (entry: LockPackage): string | undefined =>
  Array.isArray(entry.engines) ? undefined : (entry.engines as Record<string, string> | undefined)?.node;

describe('Node.js version', () => {
  it('is the same in README and in package.json engines', () => {
    expect(semver.minVersion(manifest.engines.node)?.version).toBe(
      semver.coerce(readmeNodeVersion())?.version,
    );
    expect(lock.packages['']?.engines).toEqual(manifest.engines);
  });

  it('is accepted by the engines field of every package in the lock file, but the listed exceptions', () => {
    const stated = semver.minVersion(manifest.engines.node)?.version ?? '';
    const refusing = Object.entries(lock.packages)
      .filter(([path]) => path !== '')
      .flatMap(([path, entry]) => {
        const range = nodeRange(entry);
        if (range === undefined) return [];
        // The oldest version allowed, and the one these tests (and CI) run on.
        const accepts = [stated, process.versions.node].every((version) =>
          semver.satisfies(version, range, { includePrerelease: true }),
        );
        return accepts ? [] : [`${path}@${entry.version}: engines.node ${range}`];
      });

    expect(refusing).toEqual(
      Object.entries(KNOWN_EXCEPTIONS).map(
        ([path, exception]) => `${path}@${lock.packages[path]?.version}: engines.node ${exception.engines}`,
      ),
    );
  });

  it('names every exception where README states the version', () => {
    const requirements = read('README.md').split('Requirements: Node.js')[1]?.split('\n\n')[0] ?? '';
    for (const path of Object.keys(KNOWN_EXCEPTIONS)) {
      expect(requirements).toContain(path.replace('node_modules/', ''));
    }
  });

  it('holds the reasons of the exceptions: dev-only, and the polyfill is in place', async () => {
    for (const path of Object.keys(KNOWN_EXCEPTIONS)) {
      expect(lock.packages[path]?.dev, `${path} must stay a dev dependency`).toBe(true);
    }
    expect(read('local/workflow/local-step-functions.ts')).toMatch(/^import '\.\/promise-with-resolvers';/m);
    expect(read('local/emulator/sfn-executions.ts')).toMatch(/^import '\.\/promise-with-resolvers';/m);
    // Installed by the import above on Node 20 (native on Node 22+); ES2024 is not in this project's lib.
    const { withResolvers } = Promise as unknown as {
      withResolvers<T>(): { promise: Promise<T>; resolve: (value: T) => void };
    };
    const { promise, resolve: settle } = withResolvers.call(Promise) as {
      promise: Promise<number>;
      resolve: (value: number) => void;
    };
    settle(42);
    expect(await promise).toBe(42);
  });
});
