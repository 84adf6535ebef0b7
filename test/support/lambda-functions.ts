import { CreateFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';

/** The execution role of the functions tests create through the Lambda API on another endpoint. */
export const LAMBDA_ROLE_VARIABLE = 'HANDOVER_TEST_LAMBDA_ROLE_ARN';

/**
 * A zip holding `index.js`: `exports.handler = async () => undefined;` (made with `zip -X`). Every
 * function the tests create runs it: invoking it changes nothing.
 */
const NO_OP_ZIP = Buffer.from(
  'UEsDBAoAAAAAAAAAIVyjjbGSKQAAACkAAAAIAAAAaW5kZXguanNleHBvcnRzLmhhbmRsZXIgPSBhc3luYyAoKSA9PiB1bmRlZmluZWQ7ClBLAQIeAwoAAAAAAAAAIVyjjbGSKQAAACkAAAAIAAAAAAAAAAEAAACkgQAAAABpbmRleC5qc1BLBQYAAAAAAQABADYAAABPAAAAAAA=',
  'base64',
);

/**
 * Creates a no-op Node.js function through the Lambda API, as any AWS allows: the role is
 * `HANDOVER_TEST_LAMBDA_ROLE_ARN`, else `arn:aws:iam::<account>:role/handover-test-rotation` (on a
 * real account that role must exist and Lambda must be able to assume it). Returns its ARN.
 */
export async function createNoOpFunction(
  lambda: LambdaClient,
  options: {
    readonly functionName: string;
    readonly accountId: string;
    readonly environment?: Readonly<Record<string, string>>;
    readonly description?: string;
  },
): Promise<string> {
  const role =
    process.env[LAMBDA_ROLE_VARIABLE] ?? `arn:aws:iam::${options.accountId}:role/handover-test-rotation`;
  const created = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: options.functionName,
      Role: role,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Code: { ZipFile: NO_OP_ZIP },
      ...(options.description !== undefined && { Description: options.description }),
      ...(options.environment !== undefined && { Environment: { Variables: { ...options.environment } } }),
    }),
  );
  if (created.FunctionArn === undefined) {
    throw new Error(`Lambda returned no ARN for function ${options.functionName}`);
  }
  return created.FunctionArn;
}

/** A suffix that keeps names of this run apart from earlier runs against the same endpoint. */
export const RUN_ID = crypto.randomUUID().slice(0, 8);
