import { Command, type CommanderError, Option } from 'commander';
import { ageCommand } from './commands/age';
import { bulkEmergencyCommand } from './commands/bulk';
import { planCommand } from './commands/plan';
import { provideCommand } from './commands/provide';
import { rotateCommand } from './commands/rotate';
import { statusCommand } from './commands/status';
import { type CliContext, DEFAULT_STATE_MACHINE, type GlobalOptions } from './context';
import { CliError, EXIT } from './errors';

/** Builds a context for the global options of a run (clients, output, prompts). */
export type ContextFactory = (options: GlobalOptions) => CliContext;

const EXIT_CODES_HELP = `
Exit codes:
  0    done (or nothing to do)
  1    unexpected error (a bug, or an AWS error the CLI does not know)
  2    bad arguments; nothing was changed
  3    the secret, principal, state machine or policy file does not exist; nothing was changed
  4    the secret is outside every Handover policy; nothing was changed
  5    AWS refused a call: missing permission; nothing was changed by it
  6    a rollout ended FAILED, TIMED_OUT or ABORTED (bulk: at least one did)
  7    refused: another rollout holds the lock, rotation is off, AWSPENDING is stuck, ...
  8    not confirmed at the prompt; nothing was changed
  9    AWS unreachable, or still throttling after every retry
  10   findings (age, status --check): a secret older than its policy, rotation off, a stuck AWSPENDING
  130  interrupted; a bulk run resumes from its journal when run again

Output is text for people; --json prints one JSON document on stdout for scripts (notes and
progress go to stderr). AWS credentials, region and endpoints come from the usual AWS settings
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...). Reference: docs/cli.md.`;

function parsePositive(name: string, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isFinite(number) || number <= 0 || number > max) {
      throw new CliError(EXIT.usage, `${name} must be a number above 0 and at most ${max}, got "${value}"`);
    }
    return number;
  };
}

/**
 * The `handover` program: every verb, its options and its help, which is the reference of each
 * verb. `run` resolves with the exit code; actions receive a context built from the global options.
 */
export function buildProgram(makeContext: ContextFactory, setExit: (code: number) => void): Command {
  const program = new Command('handover')
    .description(
      'Operate Handover: see rotations and rollouts, rotate, revoke in an emergency, hand over operator-assisted keys, plan and audit a policy.',
    )
    .version('0.1.0', '--version', 'print the version')
    .option('--json', 'print one JSON document for scripts instead of text')
    .option('--region <region>', 'AWS region (default: AWS_REGION / the profile)')
    .addOption(
      new Option(
        '--state-machine <name-or-arn>',
        'the rollout state machine (stack output RolloutStateMachineArn)',
      )
        .env('HANDOVER_STATE_MACHINE')
        .default(DEFAULT_STATE_MACHINE),
    )
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  const context = (command: Command): CliContext => makeContext(command.optsWithGlobals<GlobalOptions>());

  program
    .command('status')
    .description(
      'For each secret: versions and stages, last rotation, age against its schedule, the running rollout (state, wave, consumers done / failed) and any stuck AWSPENDING. No secret: every secret a deployed policy covers.',
    )
    .argument('[secret...]', 'secret names or ARNs')
    .option('--check', 'exit 10 when a secret has a finding (overdue, rotation off, stuck AWSPENDING)')
    .action(async (secrets: string[], options: { check?: boolean }, command: Command) => {
      setExit(await statusCommand(context(command), secrets, options));
    });

  program
    .command('rotate')
    .description(
      'Rotate a secret now and roll the new credential out to its consumers (scheduled mode: canary, waves, grace window, usage gate, then revoke). Starts the rollout workflow as the console does and follows it until it ends.',
    )
    .argument('<secret>', 'secret name or ARN')
    .option('--reason <text>', 'why, for the audit trail (notifications, events)')
    .option('--no-follow', 'start the rollout, print its execution ARN and return')
    .action(async (secret: string, options: { reason?: string; follow?: boolean }, command: Command) => {
      setExit(await rotateCommand(context(command), secret, 'scheduled', options));
    });

  program
    .command('emergency')
    .description(
      'Emergency rotation: the current credential is revoked as soon as the new one is verified, before consumers move. One secret, or every secret matching --tag, --prefix or --readable-by (paced under Secrets Manager and Step Functions quotas, resumable from a journal). Prints who will break and asks for confirmation unless --yes.',
    )
    .argument('[secret]', 'secret name or ARN (or use a selector below)')
    .requiredOption('--reason <text>', 'why, for the audit trail (at least 3 characters)')
    .option('--tag <key=value>', 'every managed secret with this tag')
    .option('--prefix <name-prefix>', 'every managed secret whose name starts with this')
    .option(
      '--readable-by <principal-arn>',
      'every managed secret this IAM user or role (or assumed-role session) could read',
    )
    .option('--yes', 'do not ask for confirmation')
    .option('--no-follow', 'one secret: start the rollout and return')
    .option(
      '--rate <starts-per-second>',
      'bulk: rollouts started per second (each makes about 10 Secrets Manager writes; the account allows 50 writes/s, shared with everything else)',
      parsePositive('--rate', 50),
      3,
    )
    .option(
      '--journal <file>',
      'bulk: the journal to write and resume from (default: handover-emergency-<run>.jsonl in the current folder)',
    )
    .action(
      async (
        secret: string | undefined,
        options: {
          reason: string;
          tag?: string;
          prefix?: string;
          readableBy?: string;
          yes?: boolean;
          follow?: boolean;
          rate: number;
          journal?: string;
        },
        command: Command,
      ) => {
        const selectors = [options.tag, options.prefix, options.readableBy].filter((s) => s !== undefined);
        if ((secret === undefined) === (selectors.length === 0) || selectors.length > 1) {
          throw new CliError(
            EXIT.usage,
            'emergency takes one secret, or exactly one of --tag, --prefix, --readable-by',
            'e.g. handover emergency orders/db --reason "leaked in a log", or handover emergency --tag team=payments --reason "..."',
          );
        }
        const ctx = context(command);
        setExit(
          secret !== undefined
            ? await rotateCommand(ctx, secret, 'emergency', options)
            : await bulkEmergencyCommand(ctx, options),
        );
      },
    );

  program
    .command('provide')
    .description(
      "Hand over a new key for an operator-assisted rotation (a provider with no key-management API, e.g. Stripe): create the key in the provider's dashboard, then run this. The key is read from a prompt without echo, or from stdin when piped (never from an argument), written only to Secrets Manager as the pending version, and the rotation resumes: it verifies the key against the provider, then the rollout carries it to consumers.",
    )
    .argument('<secret>', 'secret name or ARN')
    .option('--follow', 'wait until the rotation finished with the new key')
    .action(async (secret: string, options: { follow?: boolean }, command: Command) => {
      setExit(await provideCommand(context(command), secret, options));
    });

  program
    .command('plan')
    .description(
      "What deploying a policy would create or change (rotation schedules, rollout configurations, consumers), and each secret's next rotation windows.",
    )
    .option('--policy <file>', 'the policy module (exports `policy`)', 'infra/policy.ts')
    .option('--windows <n>', 'rotation windows to show per secret', parsePositive('--windows', 50), 3)
    .action(async (options: { policy: string; windows: number }, command: Command) => {
      setExit(await planCommand(context(command), options));
    });

  program
    .command('age')
    .description(
      'Secrets older than their policy allows, and secrets whose rotation is off although the policy says on. Exits 10 when it finds any.',
    )
    .option('--policy <file>', 'the policy module (exports `policy`)', 'infra/policy.ts')
    .action(async (options: { policy: string }, command: Command) => {
      setExit(await ageCommand(context(command), options));
    });

  return program;
}

/** Maps commander's own errors (unknown option, missing argument, help) to exit codes. */
export function commanderExit(error: CommanderError): { code: number; message?: string } {
  if (
    error.code === 'commander.helpDisplayed' ||
    error.code === 'commander.version' ||
    error.code === 'commander.help'
  ) {
    return { code: EXIT.ok };
  }
  return { code: EXIT.usage, message: error.message.replace(/^error: /, '') };
}
