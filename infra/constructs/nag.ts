import { type ArnComponents, ArnFormat, type Stack, Token } from 'aws-cdk-lib';

/**
 * An ARN as cdk-nag names it in a finding (`AwsSolutions-IAM5[Resource::<this>]`): the stack's
 * pseudo parameters as `<AWS::Partition>`, `<AWS::Region>`, `<AWS::AccountId>` when they are tokens,
 * their values when the stack has a fixed environment. Acknowledgements of wildcard resources built
 * with `stack.formatArn` use it, so they match in environment-agnostic and fixed stacks alike.
 */
export function nagArn(
  stack: Stack,
  components: Omit<ArnComponents, 'partition' | 'region' | 'account'>,
): string {
  const named = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  const separator = components.arnFormat === ArnFormat.COLON_RESOURCE_NAME ? ':' : '/';
  return [
    'arn',
    named(stack.partition, 'Partition'),
    components.service,
    named(stack.region, 'Region'),
    named(stack.account, 'AccountId'),
    components.resourceName === undefined
      ? components.resource
      : `${components.resource}${separator}${components.resourceName}`,
  ].join(':');
}
