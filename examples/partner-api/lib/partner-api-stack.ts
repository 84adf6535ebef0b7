import { fileURLToPath } from 'node:url';
import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { Consumer, Handover, Rotation } from 'handover';

/**
 * A partner API that accepts Handover shared keys (`hk_<id>_<secret>`): its Lambda function
 * verifies every request with `handover/verifier`, which accepts the AWSCURRENT key and, until the
 * rollout revokes it, the AWSPREVIOUS one, and reports previous-key accepts as metrics (the usage
 * gate reads them). The key rotates every 90 days; the partner is told by a signed webhook.
 */
export class PartnerApiStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    // Created here; store the first key before the first rotation (docs/credentials/shared-key.md).
    const apiKey = new secretsmanager.Secret(this, 'PartnerApiKey', {
      secretName: 'partners/acme/api-key',
      description: 'The API key ACME presents to the partner API',
    });

    const api = new nodejs.NodejsFunction(this, 'Api', {
      entry: fileURLToPath(new URL('../service/handler.ts', import.meta.url)),
      runtime: lambda.Runtime.NODEJS_22_X,
      environment: { API_KEY_SECRET_ID: apiKey.secretName },
      bundling: { format: nodejs.OutputFormat.ESM, minify: true, sourceMap: true },
    });
    // DescribeSecret and GetSecretValue of every version: what the verifier reads.
    apiKey.grantRead(api);
    const url = api.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    new cdk.CfnOutput(this, 'ApiUrl', { value: url.url });

    Handover.rotate(this, apiKey, Rotation.sharedKey(), {
      consumers: [Consumer.webhook('https://acme.example.com/handover/key-rotated', { name: 'acme' })],
    });
  }
}
