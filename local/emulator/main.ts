/**
 * The emulator as a process of its own:
 *
 * ```sh
 * npx tsx local/emulator/main.ts --port 4566
 * npm run emulator -- --port 4566
 * ```
 *
 * Prints `AWS API emulator listening on <endpoint>` once it listens, then (with `--log`) one line
 * per call; stops on SIGINT / SIGTERM. Options: see `--help`.
 */
import { parseArgs } from 'node:util';
import { startEmulator } from './server';

const USAGE = `Usage: npx tsx local/emulator/main.ts [options]

  --port <n>                     port to listen on (default 4566; 0 picks a free port)
  --host <address>               address to bind (default 127.0.0.1)
  --region <region>              region in ARNs (default us-east-1)
  --account-id <id>              12-digit account id in ARNs (default 123456789012)
  --access-key-id <id>           bootstrap access key id (default: $AWS_ACCESS_KEY_ID, else test)
  --secret-access-key <secret>   bootstrap secret (default: $AWS_SECRET_ACCESS_KEY, else test)
  --iam-propagation-delay-ms <n> how long new IAM access keys are rejected (default 0)
  --cloudtrail-delivery-delay-ms <n>
                                 how long a call's CloudTrail event stays invisible to LookupEvents (default 0)
  --log                          print one line per call: service, operation, caller, outcome
  --help                         print this text
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    fail(`--${name} must be a non-negative integer, got '${value}'`);
  return parsed;
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  const accessKeyId = values['access-key-id'];
  const secretAccessKey = values['secret-access-key'];
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    fail('--access-key-id and --secret-access-key go together');
  }
  const accountId = values['account-id'];
  if (accountId !== undefined && !/^\d{12}$/.test(accountId)) {
    fail(`--account-id must be 12 digits, got '${accountId}'`);
  }
  const emulator = await startEmulator({
    port: integer('port', values.port, 4566),
    host: values.host ?? '127.0.0.1',
    ...(values.region !== undefined && { region: values.region }),
    ...(accountId !== undefined && { accountId }),
    ...(accessKeyId !== undefined &&
      secretAccessKey !== undefined && { credentials: { accessKeyId, secretAccessKey } }),
    iam: { propagationDelayMs: integer('iam-propagation-delay-ms', values['iam-propagation-delay-ms'], 0) },
    cloudTrail: {
      deliveryDelayMs: integer('cloudtrail-delivery-delay-ms', values['cloudtrail-delivery-delay-ms'], 0),
    },
    ...(values.log === true && {
      log: ({ service, operation }) =>
        process.stdout.write(`${new Date().toISOString()} ${service} ${operation}\n`),
    }),
  });
  process.stdout.write(`AWS API emulator listening on ${emulator.endpoint}\n`);
  const stop = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function parse() {
  return parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      region: { type: 'string' },
      'account-id': { type: 'string' },
      'access-key-id': { type: 'string' },
      'secret-access-key': { type: 'string' },
      'iam-propagation-delay-ms': { type: 'string' },
      'cloudtrail-delivery-delay-ms': { type: 'string' },
      log: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
