import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The suite-wide log scan: every worker copies what it writes to stdout / stderr into a file, and
 * tests record every secret value they create or observe. After the run, global teardown checks
 * that no recorded secret appears in any captured line.
 */
export const LOG_SCAN_DIR_VARIABLE = 'HANDOVER_LOG_SCAN_DIR';

function scanDir(): string | undefined {
  return process.env[LOG_SCAN_DIR_VARIABLE];
}

/** Records secret material (passwords, whole secret values) that must never reach a log line. */
export function recordSecretMaterial(...values: readonly string[]): void {
  const dir = scanDir();
  if (dir === undefined) return;
  const lines = values.filter((v) => v.length >= 8).map((v) => `${JSON.stringify(v)}\n`);
  if (lines.length > 0) appendFileSync(join(dir, `secrets-${process.pid}.jsonl`), lines.join(''));
}

/** Copies everything this process writes to stdout and stderr into the scan directory. */
export function captureProcessOutput(): void {
  const dir = scanDir();
  const marker = Symbol.for('handover.logScan');
  const g = globalThis as Record<symbol, unknown>;
  if (dir === undefined || g[marker]) return;
  g[marker] = true;
  const file = join(dir, `output-${process.pid}.log`);
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      appendFileSync(file, typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array));
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}

export interface ScanResult {
  readonly secrets: number;
  readonly lines: number;
  /** Files and line numbers where a secret appeared; never the secret itself. */
  readonly leaks: readonly string[];
}

/** Checks every captured line against every recorded secret. */
export function scanForLeaks(dir: string): ScanResult {
  mkdirSync(dir, { recursive: true });
  const files = readdirSync(dir);
  const secrets = new Set<string>();
  for (const f of files.filter((name) => name.startsWith('secrets-'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (line !== '') secrets.add(JSON.parse(line) as string);
    }
  }
  const leaks: string[] = [];
  let lines = 0;
  for (const f of files.filter((name) => name.startsWith('output-'))) {
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        lines++;
        for (const secret of secrets) {
          if (line.includes(secret)) leaks.push(`${f}:${i + 1}`);
        }
      });
  }
  return { secrets: secrets.size, lines, leaks };
}
