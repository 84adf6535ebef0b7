/**
 * The `examples/` apps install Handover from the packed package, as users do from the registry:
 * each names it `"handover": "file:../handover-<version>.tgz"`.
 *
 * - `npx tsx scripts/examples.ts pack`: `npm pack` into `examples/` (builds first, through prepack).
 * - `npx tsx scripts/examples.ts lock`: pack, then refresh every example's `package-lock.json`
 *   (after a dependency of Handover or of an example changed).
 *
 * The examples' lock files hold no `integrity` for the handover tarball: npm would otherwise install
 * the tarball it cached under that hash, not the one just packed (`test/package/examples.test.ts`
 * checks it).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLES_DIR = resolve(import.meta.dirname, '..', 'examples');

const npm = (args: readonly string[], cwd: string) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund'], {
    cwd,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });

/** The example apps: every folder of `examples/` with a package.json. */
export function exampleNames(): string[] {
  return readdirSync(EXAMPLES_DIR).filter((name) => {
    const path = join(EXAMPLES_DIR, name);
    return statSync(path).isDirectory() && readdirSync(path).includes('package.json');
  });
}

/** `npm pack` of the repository into `dir`; returns the tarball's path. */
export function packInto(dir: string): string {
  const output = npm(['pack', '--pack-destination', dir, '--json'], resolve(EXAMPLES_DIR, '..'));
  // Lifecycle output (the build) comes first; the JSON report is the last top-level array.
  const report = JSON.parse(output.slice(output.lastIndexOf('\n[') + 1)) as Array<{ filename: string }>;
  const filename = report[0]?.filename;
  if (filename === undefined) throw new Error(`npm pack reported no file:\n${output}`);
  return join(dir, filename);
}

interface LockFile {
  readonly packages: Record<string, { integrity?: string }>;
}

const readLock = (lockFile: string) => JSON.parse(readFileSync(lockFile, 'utf8')) as LockFile;
const writeLock = (lockFile: string, lock: LockFile) =>
  writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);

/** Forgets the handover entry of an example's lock file, so npm reads the new tarball's manifest (bin, dependencies). */
export function withoutTarballEntry(lockFile: string): void {
  const lock = readLock(lockFile);
  delete lock.packages['node_modules/handover'];
  writeLock(lockFile, lock);
}

/** Drops the handover tarball's integrity from an example's lock file. */
export function withoutTarballIntegrity(lockFile: string): void {
  const lock = readLock(lockFile);
  const entry = lock.packages['node_modules/handover'];
  if (entry === undefined) throw new Error(`${lockFile} has no node_modules/handover`);
  delete entry.integrity;
  writeLock(lockFile, lock);
}

const command = process.argv[1] === fileURLToPath(import.meta.url) ? process.argv[2] : undefined;
if (command === 'pack' || command === 'lock') {
  const tarball = packInto(EXAMPLES_DIR);
  process.stdout.write(`packed ${tarball}\n`);
  if (command === 'lock') {
    for (const name of exampleNames()) {
      const dir = join(EXAMPLES_DIR, name);
      withoutTarballEntry(join(dir, 'package-lock.json'));
      npm(['install', '--package-lock-only'], dir);
      withoutTarballIntegrity(join(dir, 'package-lock.json'));
      process.stdout.write(`locked examples/${name}/package-lock.json\n`);
    }
  }
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stderr.write(`usage: npx tsx scripts/examples.ts pack|lock\n`);
  process.exit(2);
}
