/**
 * The `handover` operator CLI: `npx handover --help` (the package's bin), or from the repository
 * `npx tsx cli/main.ts --help`. Reference: docs/cli.md.
 */
import { runCli } from './run';

// Ctrl-C: a bulk run stops starting rollouts, writes its report and exits 130; a second one exits now.
const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
});

process.exitCode = await runCli(process.argv.slice(2), {
  signal: interrupt.signal,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
