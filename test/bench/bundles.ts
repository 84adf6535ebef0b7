/**
 * The rotation handlers as Lambda runs them: bundled the way the CDK Lambda construct bundles them
 * (`HOUSE_BUNDLING`: esbuild, CommonJS, minified, ESM sources preferred so they tree-shake, the AWS
 * SDK included, mysql2's iconv-lite stubbed), for this build and for a base commit side by side:
 * minified size, gzip, and module initialisation in a fresh Node.js process: the wall time of
 * `node -e "require(bundle)"` minus that of a bare `node -e 0` (medians of interleaved runs), and
 * the same in CPU time (user + system of the child), which other work on a shared machine inflates
 * far less than wall time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { lazyModuleCommands } from '../../infra/constructs/handover-function';
import { BUNDLE_ALIASES, LAZY_PACKAGES } from '../../infra/paths';

/** Every rotation Lambda, with the environment its module needs to initialise. */
export const HANDLERS: ReadonlyArray<{ readonly type: string; readonly env: Record<string, string> }> = [
  { type: 'postgres', env: { HANDOVER_POSTGRES_MODE: 'alternating-users' } },
  { type: 'mysql', env: { HANDOVER_MYSQL_MODE: 'alternating-users' } },
  { type: 'iam-access-key', env: {} },
  { type: 'api-key', env: {} },
  { type: 'shared-key', env: {} },
];

/** One handler of one build. */
export interface BundleFigures {
  readonly bytes: number;
  /**
   * The files beside the entry that are loaded on first use (`LAZY_MODULES` in `infra/paths.ts`: the driver and
   * the RDS CA bundle), minified, in all (this build only; 0 for a handler without them).
   */
  readonly lazyBytes?: number;
  readonly gzipBytes: number;
  /** Module initialisation: median process wall time minus a bare `node -e 0`, in ms. */
  readonly initMs: number;
  /** The same in CPU time (user + system), in ms. */
  readonly initCpuMs: number;
}

export interface BundleComparison {
  /** The base commit (`git rev-parse --short`), or why there is none. */
  readonly base: string;
  readonly runs: number;
  /** Median wall time of a bare `node -e 0`, in ms. */
  readonly bareNodeMs: number;
  /** Median CPU time of a bare `node -e 0`, in ms. */
  readonly bareNodeCpuMs: number;
  readonly rows: ReadonlyArray<{
    readonly type: string;
    readonly current: BundleFigures;
    readonly previous: BundleFigures | undefined;
  }>;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/**
 * Bundles one handler of the tree at `root` (whose `node_modules` resolve its packages), with the
 * aliases Lambda bundles get (this build's `BUNDLE_ALIASES`; for the base tree, its own iconv-lite stub).
 * This build's bundles are laid out as the Lambda construct lays them out: the entry without
 * {@link LAZY_PACKAGES}, and each of `LAZY_MODULES` it imports in a file of its own beside it,
 * built by the construct's own commands (`lazyModuleCommands`).
 */
async function bundle(
  root: string,
  type: string,
  outfile: string,
  alias: Record<string, string>,
  external: readonly string[] = [],
): Promise<void> {
  await build({
    external: [...external],
    entryPoints: [join(root, 'lambdas', 'credentials', type, 'handler.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // The same settings as HOUSE_BUNDLING (infra/constructs/handover-function.ts).
    mainFields: ['module', 'main'],
    alias,
    outfile,
    logLevel: 'error',
  });
}

/**
 * The base commit's `lambdas/`, extracted next to this tree's `node_modules`: `BENCH_BASE` (default
 * `main`), or the previous commit when that is this very commit (a bench run on main itself).
 */
function checkoutBase(work: string): { dir: string; commit: string } | { reason: string } {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
  try {
    const head = git('rev-parse', 'HEAD');
    let ref = process.env.BENCH_BASE ?? 'main';
    if (git('rev-parse', `${ref}^{commit}`) === head) ref = 'HEAD~1';
    const commit = git('rev-parse', '--short', `${ref}^{commit}`);
    const dir = join(work, 'base');
    mkdirSync(dir);
    const archive = spawnSync('git', ['archive', '--format=tar', commit, 'lambdas'], { maxBuffer: 1 << 28 });
    if (archive.status !== 0) throw new Error(String(archive.stderr));
    const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
    if (untar.status !== 0) throw new Error(String(untar.stderr));
    symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir');
    return { dir, commit };
  } catch (error) {
    return {
      reason: `no base build (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    };
  }
}

export async function benchBundles(runs: number): Promise<BundleComparison> {
  const work = mkdtempSync(join(tmpdir(), 'handover-bundle-'));
  try {
    const base = checkoutBase(work);
    const builds: Array<{
      type: string;
      build: 'current' | 'previous';
      file: string;
      env: Record<string, string>;
    }> = [];
    for (const { type, env } of HANDLERS) {
      const current = join(work, 'current', type, 'index.js');
      await bundle(resolve('.'), type, current, { ...BUNDLE_ALIASES }, LAZY_PACKAGES);
      for (const command of lazyModuleCommands(join(work, 'current', type), 'node20')) {
        execFileSync('bash', ['-c', command], { stdio: 'inherit' });
      }
      builds.push({ type, build: 'current', file: current, env });
      if ('dir' in base && existsSync(join(base.dir, 'lambdas', 'credentials', type, 'handler.ts'))) {
        const previous = join(work, 'previous', type, 'index.js');
        await bundle(base.dir, type, previous, {
          'iconv-lite': join(base.dir, 'lambdas', 'credentials', 'mysql', 'iconv-lite-stub.ts'),
        });
        builds.push({ type, build: 'previous', file: previous, env });
      }
    }
    const env = {
      ...process.env,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    /** Runs `node -e "<code>"` in a fresh process: its wall time and its own CPU time, in ms. */
    const run = (code: string, extra: Record<string, string> = {}): { wall: number; cpu: number } => {
      const report = 'const u=process.cpuUsage();process.stdout.write(String((u.user+u.system)/1000))';
      const started = performance.now();
      const result = spawnSync(process.execPath, ['-e', `${code};${report}`], {
        env: { ...env, ...extra },
        encoding: 'utf8',
      });
      const wall = performance.now() - started;
      if (result.status !== 0) throw new Error(`node -e ${code} failed: ${result.stderr}`);
      return { wall, cpu: Number(result.stdout) };
    };
    // Interleaved, so a load spike on this shared machine hits every build alike.
    const bare: Array<{ wall: number; cpu: number }> = [];
    const times = new Map(builds.map((b) => [b.file, [] as Array<{ wall: number; cpu: number }>]));
    for (let i = 0; i < runs; i++) {
      bare.push(run('0'));
      for (const b of builds) times.get(b.file)?.push(run(`require(${JSON.stringify(b.file)})`, b.env));
    }
    const bareNodeMs = median(bare.map((t) => t.wall));
    const bareNodeCpuMs = median(bare.map((t) => t.cpu));
    const figures = (file: string): BundleFigures => ({
      bytes: statSync(file).size,
      gzipBytes: gzipSync(readFileSync(file)).length,
      initMs: median((times.get(file) ?? []).map((t) => t.wall)) - bareNodeMs,
      initCpuMs: median((times.get(file) ?? []).map((t) => t.cpu)) - bareNodeCpuMs,
    });
    return {
      base: 'commit' in base ? base.commit : base.reason,
      runs,
      bareNodeMs,
      bareNodeCpuMs,
      rows: HANDLERS.map(({ type }) => {
        const previous = builds.find((b) => b.type === type && b.build === 'previous');
        return {
          type,
          current: {
            ...figures(join(work, 'current', type, 'index.js')),
            lazyBytes: lazyFilesBytes(join(work, 'current', type, 'node_modules')),
          },
          previous: previous === undefined ? undefined : figures(previous.file),
        };
      }),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The size of the `.js` files under `folder` (the lazily loaded modules), 0 when there is none. */
function lazyFilesBytes(folder: string): number {
  if (!existsSync(folder)) return 0;
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.js'))
    .reduce((total, name) => total + statSync(join(folder, name)).size, 0);
}
