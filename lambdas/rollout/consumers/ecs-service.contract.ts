/**
 * The contract of the `ecs-service` consumer kind (the adapter is `ecs-service.ts`): an ECS service
 * whose new deployment is forced and must reach steady state.
 */
import { ECS_NAME } from '../../shared/aws-patterns';
import { matching } from '../../shared/settings';
import { defineConsumer, expectText } from './consumer-contract';

/** What the rollout function reads for a ecs-service consumer, besides `kind`, `name`, `canary`. */
export const ecsServiceConfig = {
  /** The cluster's name or ARN. */
  cluster: expectText('a cluster name or ARN'),
  /** The service's name or ARN. */
  service: expectText('a service name or ARN'),
};

export const ecsServiceConsumer = /* @__PURE__ */ defineConsumer({
  kind: 'ecs-service',
  settings: () => ({
    /** The cluster's name or ARN. */
    cluster: matching(ECS_NAME, 'an ECS cluster name or ARN'),
    /** The service's name or ARN. */
    service: matching(ECS_NAME, 'an ECS service name or ARN'),
  }),
  config: ecsServiceConfig,
  refresh: { how: 'forced', describe: 'a new deployment: new tasks read the secret when they start' },
  principal: "the task definition's task role and execution role (ECS reads secrets with the execution role)",
  identity: ['cluster', 'service'],
  defaultName: ({ service }) => (typeof service === 'string' ? service.split('/').pop() : undefined),
  toConfig: ({ cluster, service }) => ({ cluster, service }),
  permissions: ({ cluster, service }) => [
    // The readers check: the service's task definition names the roles that read the secret.
    { actions: ['ecs:DescribeTaskDefinition'], resource: { arn: '*' } },
    {
      actions: ['ecs:UpdateService', 'ecs:DescribeServices'],
      resource: service.startsWith('arn:')
        ? { arn: service }
        : {
            service: 'ecs',
            resource: 'service',
            resourceName: `${cluster.startsWith('arn:') ? cluster.split('/').pop() : cluster}/${service}`,
          },
    },
  ],
});
