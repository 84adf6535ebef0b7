import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const SCRIPT = join(ROOT, 'scripts/setup-test-deps.sh');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** README's test command: the line of the "Two commands" block commented "# everything". */
function readmeTestCommand(): string {
  const section = read('README.md').split('## Two commands')[1] ?? '';
  const block = section.slice(
    section.indexOf('```sh') + 5,
    section.indexOf('```', section.indexOf('```sh') + 5),
  );
  const line = block.split('\n').find((l) => l.includes('# everything'));
  if (line === undefined) throw new Error('README "Two commands" has no test command');
  return (line.split('#')[0] ?? '').trim();
}

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A machine in a folder: fake programs (each records `name args` to a log and exits 0) and fake
 * system directories holding the programs already "installed". The script runs with PATH set to
 * the fake programs only, so nothing real is installed or looked at.
 */
function fakeMachine(options: { uid: number; os?: string; programs: string[]; installed: string[] }) {
  const root = mkdtempSync(join(tmpdir(), 'handover-setup-'));
  made.push(root);
  const bin = join(root, 'bin');
  const system = join(root, 'system');
  const log = join(root, 'calls.log');
  mkdirSync(bin);
  mkdirSync(system);
  const fake = (dir: string, name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  fake(bin, 'id', `echo ${options.uid}`);
  fake(bin, 'uname', `echo ${options.os ?? 'Linux'}`);
  for (const name of options.programs) {
    // sudo and env run the rest of their arguments (env after dropping VAR=value words).
    const body =
      name === 'sudo'
        ? `echo "sudo $*" >> ${log}; exec "$@"`
        : name === 'env'
          ? `echo "env $*" >> ${log}; while [ $# -gt 0 ] && [ "\${1#*=}" != "$1" ]; do shift; done; exec "$@"`
          : `echo "${name} $*" >> ${log}`;
    fake(bin, name, body);
  }
  for (const name of options.installed) fake(system, name, 'exit 0');
  const run = () =>
    spawnSync('/bin/sh', [SCRIPT], {
      env: { PATH: bin, HANDOVER_SETUP_DIRS: system },
      encoding: 'utf8',
    });
  const calls = () => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  return { run, calls, system };
}

const ALL = ['openssl', 'mariadbd', 'mariadb-install-db', 'mariadb'];

describe('Script: scripts/setup-test-deps.sh', () => {
  it('runs before every npm test, and README and .ci/run give the same one command line', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.pretest).toBe('sh scripts/setup-test-deps.sh');
    expect(readmeTestCommand()).toBe('npm ci && npm test');
    const ciCommands = read('.ci/run')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#') && !/^(set|cd) /.test(line));
    expect(ciCommands).toEqual([readmeTestCommand()]);
  });

  it('installs nothing and says nothing when everything is there', () => {
    const machine = fakeMachine({ uid: 1000, programs: ['apt-get', 'sudo', 'env', 'brew'], installed: ALL });

    const result = machine.run();

    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(machine.calls()).toEqual([]);
  });

  it('installs MariaDB server and client and openssl with apt-get through sudo when not root', () => {
    const machine = fakeMachine({ uid: 1000, programs: ['apt-get', 'sudo', 'env'], installed: [] });

    const result = machine.run();

    // The fake apt-get installs nothing, so the script then says what is still missing.
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('missing: openssl mariadb');
    expect(result.stderr).toContain('using sudo for apt-get');
    expect(machine.calls()).toEqual([
      'sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq',
      'env DEBIAN_FRONTEND=noninteractive apt-get update -qq',
      'apt-get update -qq',
      'sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl ca-certificates mariadb-server mariadb-client',
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl ca-certificates mariadb-server mariadb-client',
      'apt-get install -y -qq --no-install-recommends openssl ca-certificates mariadb-server mariadb-client',
    ]);
    expect(result.stderr).toContain('still missing after installing: openssl mariadbd mariadb-install-db');
  });

  it('installs only what is missing, without sudo as root', () => {
    const machine = fakeMachine({
      uid: 0,
      programs: ['apt-get', 'sudo', 'env'],
      installed: ['openssl', 'mariadb'],
    });

    machine.run();

    expect(machine.calls().filter((call) => call.startsWith('apt-get'))).toEqual([
      'apt-get update -qq',
      'apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client',
    ]);
    expect(machine.calls().some((call) => call.startsWith('sudo'))).toBe(false);
  });

  it('uses Homebrew on macOS', () => {
    const machine = fakeMachine({
      uid: 501,
      os: 'Darwin',
      programs: ['brew', 'apt-get'],
      installed: ['openssl'],
    });

    machine.run();

    expect(machine.calls()).toEqual(['brew install mariadb']);
  });

  it('says what to install, and installs nothing, without apt-get, Homebrew or a way to root', () => {
    const unknown = fakeMachine({ uid: 1000, programs: [], installed: [] });
    const noSudo = fakeMachine({ uid: 1000, programs: ['apt-get', 'env'], installed: [] });

    const first = unknown.run();
    const second = noSudo.run();

    expect(first.status).toBe(1);
    expect(first.stderr).toContain('install openssl mariadb with your package manager');
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('not root and no sudo: run as root: apt-get update && apt-get install');
    expect(noSudo.calls()).toEqual([]);
  });

  it('is skipped entirely with HANDOVER_SKIP_SETUP=1', () => {
    const result = spawnSync('/bin/sh', [SCRIPT], {
      env: { PATH: '/nonexistent', HANDOVER_SKIP_SETUP: '1' },
      encoding: 'utf8',
    });

    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });
});
