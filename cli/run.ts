import confirm from '@inquirer/confirm';
import password from '@inquirer/password';
import { CommanderError } from 'commander';
import {
  type AwsClients,
  createAwsClients,
  createContext,
  destroyAwsClients,
  type Prompter,
} from './context';
import { CliError, EXIT, EXIT_NAME } from './errors';
import { createOutput, type OutputStreams } from './output';
import { buildProgram, commanderExit } from './program';

/** What a run of the CLI talks to: streams, environment, prompts, AWS. Tests pass their own. */
export interface CliDeps extends OutputStreams {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** @default - prompts on the terminal (stdin / stderr), or stdin's content when it is piped */
  readonly prompt?: Prompter;
  /** @default - the SDK's clients for the region of `--region` or the environment */
  readonly aws?: (region: string | undefined) => AwsClients;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** Aborted on Ctrl-C (bulk runs stop and keep their journal). @default - never */
  readonly signal?: AbortSignal;
}

/** Reads a whole stream (a key piped on stdin), without its trailing newline. */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * The terminal prompter: questions on stderr (stdout stays for results), a secret typed without
 * echo; when stdin is not a terminal, a secret is stdin's content and a question cannot be asked.
 */
export function terminalPrompter(deps: Pick<CliDeps, 'stdin' | 'stderr'>): Prompter {
  const context = {
    input: deps.stdin,
    output: deps.stderr as NodeJS.WritableStream,
    clearPromptOnDone: false,
  };
  return {
    async confirm(question) {
      if (deps.stdin.isTTY !== true) {
        throw new CliError(
          EXIT.usage,
          'this needs a confirmation and stdin is not a terminal',
          'Pass --yes to confirm in a script',
        );
      }
      return confirm({ message: question, default: false }, context);
    },
    async secret(question) {
      if (deps.stdin.isTTY !== true) return readAll(deps.stdin);
      return password({ message: question, mask: false }, context);
    },
  };
}

/**
 * Runs the CLI once and resolves with its exit code. Every failure is ONE line on stderr
 * (`handover: <what is wrong>. <what to do>`), plus `{"error": ...}` on stdout with `--json`.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2), { ...process, env: process.env });
 * ```
 */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const json = argv.includes('--json');
  const out = createOutput(json, deps);
  let exitCode: number = EXIT.ok;
  const clients: AwsClients[] = [];
  const program = buildProgram(
    (options) => {
      const aws = (deps.aws ?? createAwsClients)(options.region);
      clients.push(aws);
      return createContext({
        aws,
        out,
        prompt: deps.prompt ?? terminalPrompter(deps),
        options,
        env: deps.env,
        ...(deps.now === undefined ? {} : { now: deps.now }),
        ...(deps.signal === undefined ? {} : { signal: deps.signal }),
      });
    },
    (code) => {
      exitCode = code;
    },
  );
  program.configureOutput({
    writeOut: (text) => deps.stdout.write(text),
    writeErr: (text) => deps.stderr.write(text),
    outputError: () => undefined,
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    let failure: CliError;
    if (error instanceof CommanderError) {
      const mapped = commanderExit(error);
      if (mapped.message === undefined) return mapped.code;
      failure = new CliError(EXIT.usage, mapped.message, 'Run handover --help, or handover <verb> --help');
    } else if (error instanceof CliError) {
      failure = error;
    } else {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      failure = new CliError(
        EXIT.internal,
        `unexpected error: ${text}`,
        'Please report it with the command you ran',
      );
    }
    deps.stderr.write(`${failure.line}\n`);
    out.result({
      error: {
        exitCode: failure.exitCode,
        class: EXIT_NAME[failure.exitCode],
        message: failure.message,
        ...(failure.hint === undefined ? {} : { hint: failure.hint }),
      },
    });
    return failure.exitCode;
  } finally {
    for (const aws of clients) destroyAwsClients(aws);
  }
}
