import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { SecretsPort } from '../../../../lambdas/rotation/secrets-port';
import type { StrategyContext } from '../../../../lambdas/rotation/strategy';
import { CloudWatchService } from '../../../../local/emulator';
import { readOnlySecrets } from '../../../support/secrets-port';

type CloudWatchSend = Pick<CloudWatchClient, 'send'>;

/**
 * An SDK-shaped CloudWatch client that calls the emulator's CloudWatch model in-process (no
 * network): inputs and outputs go through JSON as they would on the wire (dates as timestamps).
 */
export function inProcessCloudWatch(service = new CloudWatchService()) {
  const inputs: { operation: string; input: Record<string, unknown> }[] = [];
  const client: CloudWatchSend = {
    send: (async (command: { constructor: { name: string }; input: object }) => {
      const operation = command.constructor.name.replace(/Command$/, '');
      const input = JSON.parse(JSON.stringify(command.input)) as Record<string, unknown>;
      inputs.push({ operation, input });
      if (!CloudWatchService.isOperation(operation)) throw new Error(`unexpected ${operation}`);
      const output = service.invoke(operation, input) as Record<string, unknown>;
      const results = output.MetricDataResults as { Timestamps: Date[] }[] | undefined;
      return {
        ...output,
        ...(results === undefined
          ? {}
          : {
              MetricDataResults: results.map((r) => ({
                ...r,
                Timestamps: r.Timestamps.map((t) => new Date(t)),
              })),
            }),
      };
    }) as CloudWatchSend['send'],
  };
  return { service, client, inputs };
}

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/**
 * A StrategyContext for the secret `secretId`, whose logger records every line. `secrets` is the
 * port revoke / restore / inUse use (the emulator's, in the tests of those); create, set and test
 * read nothing, and the default port fails any read.
 */
export function fakeContext(
  secretId: string,
  rotationId = '11111111-2222-3333-4444-555555555555',
  secrets: SecretsPort = readOnlySecrets(() => undefined),
) {
  const lines: LogLine[] = [];
  const record =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}): void => {
      lines.push({ level, message, fields });
    };
  const ctx: StrategyContext = {
    secretId,
    rotationId,
    logger: { debug: record('debug'), info: record('info'), warn: record('warn') },
    secrets,
  };
  return { ctx, lines, text: () => JSON.stringify(lines) };
}
