import {
  GetParameterCommand,
  type GetParameterCommandOutput,
  GetParameterHistoryCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';

/** A parameter's latest version as the public API shows it. */
export interface ParameterState {
  readonly type: string | undefined;
  /** Decrypted. */
  readonly value: string | undefined;
  readonly version: number | undefined;
  readonly keyId: string | undefined;
  /** The labels on the latest version. */
  readonly labels: readonly string[];
}

/**
 * Reads a parameter's latest version through the public API (GetParameter with decryption, and
 * GetParameterHistory for its KMS key and labels); `undefined` when there is no such parameter.
 */
export async function readParameter(ssm: SSMClient, name: string): Promise<ParameterState | undefined> {
  let latest: GetParameterCommandOutput;
  try {
    latest = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') return undefined;
    throw error;
  }
  const version = latest.Parameter?.Version;
  const history = [];
  let nextToken: string | undefined;
  do {
    const page = await ssm.send(
      new GetParameterHistoryCommand({ Name: name, WithDecryption: false, NextToken: nextToken }),
    );
    history.push(...(page.Parameters ?? []));
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  const entry = history.find((item) => item.Version === version);
  return {
    type: latest.Parameter?.Type,
    value: latest.Parameter?.Value,
    version,
    keyId: entry?.KeyId,
    labels: entry?.Labels ?? [],
  };
}
