/**
 * `npm run bench`: measures, on this machine, and prints as Markdown tables (the figures README
 * quotes):
 * - every database strategy's full rotation through the real engine against the emulator's
 *   Secrets Manager over HTTP and a real database: wall time, Secrets Manager calls by operation,
 *   database round trips and connections (`database-rotations.ts`);
 * - every rotation handler bundled as Lambda runs it, this build beside a base commit (`main`, or
 *   `BENCH_BASE`): minified and gzip size, module initialisation in a fresh Node.js process
 *   (`bundles.ts`);
 * - the verifier's hot path (`verifier.ts`);
 * - a bulk emergency of many secrets through the CLI against the emulator with throttling
 *   (`bulk-emergency.ts`).
 */
import { markdownTable, recordBenchFigures } from '../support/bench-figures';
import { benchBulkEmergency } from './bulk-emergency';
import { benchBundles } from './bundles';
import { benchDatabaseRotations, SM_OPERATIONS } from './database-rotations';
import { benchVerifier } from './verifier';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const ROTATIONS = Number(process.env.BENCH_ROTATIONS ?? 9);
const INIT_RUNS = Math.max(15, Number(process.env.BENCH_INIT_RUNS ?? 15));

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KB`;
const ms = (value: number): string => `${value.toFixed(0)} ms`;

async function rotationTable(): Promise<string[]> {
  const figures = await benchDatabaseRotations(ROTATIONS);
  const lines = [
    `Database rotations (RotateSecret until finishSecret returned; median of ${ROTATIONS} after one warm-up; TLS verify-full):`,
    '',
    `| strategy | database | full rotation | Secrets Manager calls | ${SM_OPERATIONS.join(' | ')} | calls, every step on a new environment | database round trips | database connections |`,
    `|---|---|---|---|${SM_OPERATIONS.map(() => '---|').join('')}---|---|---|`,
  ];
  for (const f of figures) {
    const others = Object.keys(f.calls).filter((op) => !(SM_OPERATIONS as readonly string[]).includes(op));
    if (others.length > 0)
      throw new Error(`${f.strategy}: unexpected Secrets Manager calls: ${others.join(', ')}`);
    lines.push(
      `| ${f.strategy} | ${f.server} | ${ms(f.wallMs)} | ${f.totalCalls} | ${SM_OPERATIONS.map((op) => f.calls[op] ?? 0).join(' | ')} | ${f.coldCalls} | ${f.roundTrips} | ${f.connections} |`,
    );
  }
  return lines;
}

async function bundleTable(): Promise<string[]> {
  const comparison = await benchBundles(INIT_RUNS);
  const base = comparison.base;
  const lines = [
    `Rotation handler bundles, this build vs ${base} (esbuild as the Lambda construct bundles them: CommonJS, minified, SDK included; this build's driver and RDS CA bundle are files of their own beside the entry, loaded on the first connection).`,
    `Module initialisation: median of ${comparison.runs} interleaved fresh \`node -e "require(bundle)"\` runs minus a bare \`node -e 0\` (${ms(comparison.bareNodeMs)} wall, ${ms(comparison.bareNodeCpuMs)} CPU).`,
    '',
    `| rotation handler | minified | minified (${base}) | gzip | gzip (${base}) | module initialisation | module initialisation (${base}) | CPU | CPU (${base}) | loaded on first use (driver, RDS CA bundle) |`,
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { type, current, previous } of comparison.rows) {
    lines.push(
      `| ${type} | ${kb(current.bytes)} | ${previous ? kb(previous.bytes) : '-'} | ${kb(current.gzipBytes)} | ${previous ? kb(previous.gzipBytes) : '-'} | ${ms(current.initMs)} | ${previous ? ms(previous.initMs) : '-'} | ${ms(current.initCpuMs)} | ${previous ? ms(previous.initCpuMs) : '-'} | ${current.lazyBytes ? kb(current.lazyBytes) : '-'} |`,
    );
  }
  return lines;
}

const started = performance.now();
const rotation = await rotationTable();
const bundle = await bundleTable();
const verifier = await benchVerifier();
process.stdout.write(
  [
    `Handover benchmarks (Node.js ${process.version}; medians)`,
    '',
    ...rotation,
    '',
    ...bundle,
    '',
    ...verifier,
    '',
    `benchmarks took ${((performance.now() - started) / 1000).toFixed(1)} s`,
    '',
  ].join('\n'),
);
const bulk = await benchBulkEmergency();
process.stdout.write(`\n${bulk.join('\n')}\n`);
// README quotes these tables: they go to docs/benchmarks.json and into README's bench blocks.
recordBenchFigures({
  rotations: markdownTable(rotation),
  bundles: markdownTable(bundle),
  verifier: markdownTable(verifier),
  'bulk-emergency': markdownTable(bulk),
});
process.stdout.write('recorded in docs/benchmarks.json and README.md\n');
