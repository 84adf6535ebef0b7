/**
 * The `handover` operator CLI: `npx handover --help` (the package's bin), or from the repository
 * `npx tsx cli/main.ts --help`. Reference: docs/cli.md.
 */
import { runCli } from './run';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
