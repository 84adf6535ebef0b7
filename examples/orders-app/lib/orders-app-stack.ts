import * as cdk from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { Consumer, Handover, Rotation } from 'handover';

/**
 * An existing app, as `cdk init app --language typescript` started it: a VPC, a PostgreSQL
 * database, the orders API on ECS and a nightly export Lambda function, both reading the
 * application user's secret. The Handover part is at the end.
 */
export class OrdersAppStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const secretsManagerEndpoint = vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    });

    const databaseSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', { vpc });
    const database = new rds.DatabaseInstance(this, 'Database', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc,
      securityGroups: [databaseSecurityGroup],
      storageEncrypted: true,
      credentials: rds.Credentials.fromGeneratedSecret('postgres', { secretName: 'orders/db/master' }),
    });
    const masterSecret = database.secret as cdk.aws_secretsmanager.ISecret;

    // The application user's secret: host, port, dbname from the instance; its own username.
    const appSecret = new rds.DatabaseSecret(this, 'AppUserSecret', {
      username: 'orders_app',
      secretName: 'orders/db/app',
      masterSecret,
    }).attach(database);

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'ApiTask');
    taskDefinition.addContainer('api', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/nginx:stable'),
      secrets: { DATABASE: ecs.Secret.fromSecretsManager(appSecret) },
      portMappings: [{ containerPort: 80 }],
    });
    const api = new ecs.FargateService(this, 'Api', {
      cluster,
      taskDefinition,
      desiredCount: 2,
      minHealthyPercent: 100,
      circuitBreaker: { rollback: true },
    });

    const exporter = new lambda.Function(this, 'NightlyExport', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ exported: 0 });'),
      vpc,
      environment: { DATABASE_SECRET_ARN: appSecret.secretArn },
    });
    appSecret.grantRead(exporter);

    // Handover: rotate the application user's password with zero downtime (two users alternated by
    // the master user), then roll every new password out to its two consumers, canary first.
    Handover.rotate(
      this,
      appSecret,
      Rotation.postgresAlternatingUsers({ masterSecret, database: { securityGroup: databaseSecurityGroup } }),
      {
        network: { vpc, secretsManagerEndpoint },
        consumers: [Consumer.ecsService(api, { canary: true }), Consumer.lambda(exporter)],
      },
    );
  }
}
