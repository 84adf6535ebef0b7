import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../../local/emulator';
import { HARNESS_REPORT_VARIABLE } from '../../support/aws';
import { ALL_SERVICES, AWS_SERVICES, TARGET_VARIABLE } from '../../support/aws-targets';

/**
 * A test of the integration harness itself: a SECOND emulator, started as a process of its own the
 * way local/emulator/README.md says (`npx tsx local/emulator/main.ts --port <n>`), is given to a
 * run of one portable integration file through `AWS_ENDPOINT_URL`. Its call log (the control API,
 * `GET /_emulator/calls`) must show the file's traffic, signed by the run's credentials and by the
 * IAM keys the rotation created, and the harness must have started no in-process emulator.
 */
const PORTABLE_FILE = 'test/integration/iam-access-key/rotation.test.ts';
const ROOT = join(import.meta.dirname, '..', '..', '..');

let second: ChildProcess;
let endpoint: string;
let work: string;

/** The environment a caller would have: none of this run's endpoint settings, credentials of their own. */
function callerEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (
      name.startsWith('AWS_ENDPOINT_URL') ||
      name === TARGET_VARIABLE ||
      name === 'VITEST' ||
      name.startsWith('VITEST_')
    ) {
      delete env[name];
    }
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'handover-second-endpoint-'));
  second = spawn('npx', ['tsx', 'local/emulator/main.ts', '--port', '0'], {
    cwd: ROOT,
    env: callerEnvironment({
      AWS_ACCESS_KEY_ID: 'second-admin',
      AWS_SECRET_ACCESS_KEY: 'second-admin-secret',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  endpoint = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the second emulator did not start: ${seen}`)), 60_000);
    second.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /AWS API emulator listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    second.on('exit', (code) => reject(new Error(`the second emulator exited (${code}): ${seen}`)));
  });
});

afterAll(() => {
  second?.kill('SIGTERM');
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('Integration harness: a run given AWS_ENDPOINT_URL', () => {
  it('sends every call of a portable file to the given endpoint and starts no in-process emulator', async () => {
    const report = join(work, 'harness-report.jsonl');

    const child = await run(
      'npx',
      ['vitest', 'run', PORTABLE_FILE],
      callerEnvironment({
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: 'second-admin',
        AWS_SECRET_ACCESS_KEY: 'second-admin-secret',
        [HARNESS_REPORT_VARIABLE]: report,
      }),
    );

    expect(child.code, child.output.slice(-4000)).toBe(0);
    for (const service of ALL_SERVICES) {
      expect(child.output).toContain(
        `${AWS_SERVICES[service].padEnd(15)} ${endpoint} (given by AWS_ENDPOINT_URL)`,
      );
    }
    expect(child.output).toContain('Emulator-only tests (*.emulator-only.test.ts');
    expect(child.output).toContain('are left out: an endpoint was given.');
    const worlds = readFileSync(report, 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { testFile: string; inProcessEmulator: boolean; inProcessCalls: number },
      );
    expect(worlds.length).toBeGreaterThan(0);
    expect(worlds.every((world) => world.testFile.endsWith(PORTABLE_FILE))).toBe(true);
    expect(worlds.every((world) => !world.inProcessEmulator && world.inProcessCalls === 0)).toBe(true);

    const { calls } = (await (await fetch(`${endpoint}/_emulator/calls`)).json()) as { calls: CallRecord[] };
    const operations = new Set(calls.map((call) => `${call.service}:${call.operation}`));
    for (const expected of [
      'secretsmanager:CreateSecret',
      'secretsmanager:RotateSecret',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
      'iam:CreateUser',
      'iam:CreateAccessKey',
      'sts:GetCallerIdentity',
      'lambda:CreateFunction',
      'lambda:AddPermission',
    ]) {
      expect(operations).toContain(expected);
    }
    expect(calls.some((call) => call.caller?.type === 'Root' && call.accessKeyId === 'second-admin')).toBe(
      true,
    );
    expect(calls.some((call) => call.service === 'sts' && call.caller?.type === 'IAMUser')).toBe(true);
    expect(calls.some((call) => call.errorCode === 'SignatureDoesNotMatch')).toBe(true);
  });
});
