import { ArnFormat, type Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { cacheConfig } from '../../lambdas/rollout/consumers/cache';
import type {
  ConsumerPermission,
  ResourceReference,
  SecretReference,
} from '../../lambdas/rollout/consumers/consumer-contract';
import {
  type ConsumerConfig,
  type ConsumerSettings,
  consumerContract,
} from '../../lambdas/rollout/consumers/contracts';
import { secretArnForPolicies, secretsManagerService } from './credential-types';
import { importSecret } from './secret-references';

/** A consumer as the rollout workflow deploys it: its configuration and what it needs. */
export interface DeployedConsumer {
  /** The name (given, or derived from the target by the kind's contract). */
  readonly name: string;
  /** What the rollout function reads for it. */
  readonly config: ConsumerConfig;
  /** What the rollout function must be allowed to do for it. */
  readonly permissions: readonly ConsumerPermission[];
  /** The secrets it names (imported or created), by settings field. */
  readonly secrets: Readonly<Record<string, secretsmanager.ISecret>>;
  /**
   * The longest the workflow waits on it, in seconds.
   * @default - it does not wait on the consumer
   */
  readonly waitSeconds?: number;
}

const capitalized = (field: string) => `${field.charAt(0).toUpperCase()}${field.slice(1)}`;

/**
 * Deploys one consumer of a secret from its settings (a policy's consumer entry), by its kind's
 * contract: the secrets it names are imported into `scope` (ids `<entry>-<consumer>-<Field>`), or
 * created there when the contract generates one, and `toConfig` writes its configuration.
 */
export function deployConsumer(
  scope: Construct,
  entryId: string,
  consumer: ConsumerSettings,
): DeployedConsumer {
  const contract = consumerContract(consumer.kind);
  const settings = consumer as unknown as Readonly<Record<string, unknown>>;
  const name = consumer.name ?? contract.defaultName?.(settings);
  if (name === undefined) {
    throw new Error(`a ${consumer.kind} consumer of ${entryId} needs a name (its target gives none)`);
  }
  const secrets: Record<string, secretsmanager.ISecret> = {};
  for (const [field, use] of Object.entries(contract.secrets ?? {})) {
    const id = `${entryId}-${name}-${capitalized(field)}`;
    const reference = settings[field] as SecretReference | undefined;
    if (reference !== undefined) {
      secrets[field] = importSecret(scope, id, reference);
    } else if (use?.generate !== undefined) {
      const secret = new secretsmanager.Secret(scope, id, {
        secretName: use.generate.name(entryId, name),
        description: use.generate.description(entryId, name),
        generateSecretString: { passwordLength: use.generate.length, excludePunctuation: true },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: use.generate.notRotated(entryId, name),
      });
      secrets[field] = secret;
    }
  }
  const secretArns = Object.fromEntries(
    Object.entries(secrets).map(([field, secret]) => [field, secret.secretFullArn ?? secret.secretArn]),
  );
  const cache = cacheConfig(consumer.kind, consumer.reads);
  const config = {
    name,
    ...(consumer.canary === undefined ? {} : { canary: consumer.canary }),
    kind: consumer.kind,
    ...(consumer.principals === undefined ? {} : { principals: [...consumer.principals] }),
    ...(cache === undefined ? {} : { cache }),
    ...contract.toConfig(settings, secretArns),
  } as ConsumerConfig;
  const waitSeconds = contract.waitSeconds?.(config as unknown as Readonly<Record<string, unknown>>);
  return {
    name,
    config,
    permissions: contract.permissions(settings),
    secrets,
    ...(waitSeconds === undefined ? {} : { waitSeconds }),
  };
}

/** The ARN a permission names, in the stack's partition, region and account. */
function arnOf(stack: Stack, resource: ResourceReference): string {
  if ('arn' in resource) return resource.arn;
  return stack.formatArn({
    service: resource.service,
    resource: resource.resource,
    resourceName: resource.resourceName,
    arnFormat: resource.separator === ':' ? ArnFormat.COLON_RESOURCE_NAME : ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** `GetSecretValue` on a secret, and `kms:Decrypt` of its key through Secrets Manager only. */
export function readSecretStatements(stack: Stack, secret: secretsmanager.ISecret): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: [secretArnForPolicies(secret)],
    }),
    ...(secret.encryptionKey === undefined
      ? []
      : [
          new iam.PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [secret.encryptionKey.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': secretsManagerService(stack) } },
          }),
        ]),
  ];
}

/**
 * The statements a consumer's permissions become. `putEvents` buses are collected in `buses`
 * (one statement for every bus, with the milestone events'); `readSecret` reads the rotated secret
 * or one the consumer names.
 */
export function consumerStatements(
  stack: Stack,
  consumer: DeployedConsumer,
  rotated: secretsmanager.ISecret,
  buses: Set<string>,
): iam.PolicyStatement[] {
  return consumer.permissions.flatMap((permission): iam.PolicyStatement[] => {
    if ('readSecret' in permission) {
      const secret = permission.readSecret === 'rotated' ? rotated : consumer.secrets[permission.readSecret];
      return secret === undefined ? [] : readSecretStatements(stack, secret);
    }
    if ('putEvents' in permission) {
      buses.add(permission.putEvents);
      return [];
    }
    return [
      new iam.PolicyStatement({
        actions: [...permission.actions],
        resources: [arnOf(stack, permission.resource)],
        ...(permission.viaService === undefined
          ? {}
          : {
              conditions: {
                StringEquals: {
                  'kms:ViaService': `${permission.viaService}.${stack.region}.${stack.urlSuffix}`,
                },
              },
            }),
      }),
    ];
  });
}
