import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandoverApp } from '../../../infra/handover-app';
import { policy as examplePolicy } from '../../../infra/policy';
import type { RotationPolicy } from '../../../infra/rotation-policy';
import { outdirs, validPolicy } from './helpers';

const dirs = outdirs();
afterEach(() => dirs.cleanup());

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: { readonly Service?: string | string[] } | string;
  readonly Action: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every statement of every topic policy and key policy: `[logical id, statement]`. */
function resourcePolicyStatements(resources: Record<string, Resource>): Array<[string, Statement]> {
  return Object.entries(resources).flatMap(([id, resource]) => {
    const document =
      resource.Type === 'AWS::SNS::TopicPolicy'
        ? resource.Properties?.PolicyDocument
        : resource.Type === 'AWS::KMS::Key'
          ? resource.Properties?.KeyPolicy
          : undefined;
    const statements = (document as { Statement?: Statement[] } | undefined)?.Statement ?? [];
    return statements.map((statement) => [`${id} (${resource.Type})`, statement] as [string, Statement]);
  });
}

const servicesOf = (statement: Statement): string[] =>
  typeof statement.Principal === 'object' ? list(statement.Principal.Service) : [];

/** The value of a global condition key under any operator (keys compare case-insensitively). */
function conditionValue(statement: Statement, key: string): unknown {
  for (const operator of Object.values(statement.Condition ?? {})) {
    for (const [name, value] of Object.entries(operator)) {
      if (name.toLowerCase() === key.toLowerCase()) return value;
    }
  }
  return undefined;
}

/**
 * The one statement AWS documents as unable to carry the conditions: EventBridge's use of the
 * topic's KMS key. The Amazon SNS Developer Guide ("Enable compatibility between event sources from
 * AWS services and encrypted topics") states that adding `aws:SourceAccount` and `aws:SourceArn`
 * to a KMS key policy is not supported for EventBridge-to-encrypted topics: with them, every
 * EventBridge delivery to the topic fails. The topic policy statement (checked here) is the gate:
 * the key statement alone lets no one publish.
 */
const isEventBridgeKeyUse = (where: string, statement: Statement): boolean =>
  where.endsWith('(AWS::KMS::Key)') &&
  servicesOf(statement).join() === 'events.amazonaws.com' &&
  statement.Effect === 'Allow' &&
  JSON.stringify(list(statement.Action).sort()) === JSON.stringify(['kms:Decrypt', 'kms:GenerateDataKey*']);

const synth = (policy: RotationPolicy) => {
  const { stack } = createHandoverApp({
    policy,
    outdir: dirs.make(),
    bundling: false,
    nag: false,
    cloudFormationValidation: false,
  });
  return Template.fromStack(stack).toJSON() as { Resources: Record<string, Resource> };
};

describe('Stack: HandoverStack resource policies', () => {
  it.each<[string, RotationPolicy]>([
    ['the example policy', examplePolicy],
    [
      'every credential type with AWS Config age checks',
      validPolicy({ alarms: { emails: ['oncall@example.com'], secretAgeChecks: true } }),
    ],
  ])(
    'gives no service principal a topic or key policy statement without aws:SourceArn and aws:SourceAccount (%s)',
    (_label, policy) => {
      // GIVEN
      const { Resources } = synth(policy);

      // WHEN
      const statements = resourcePolicyStatements(Resources).filter(([, s]) => servicesOf(s).length > 0);

      // THEN
      const unconditioned = statements
        .filter(([where, s]) => !isEventBridgeKeyUse(where, s))
        .filter(
          ([, s]) =>
            conditionValue(s, 'aws:SourceArn') === undefined ||
            conditionValue(s, 'aws:SourceAccount') === undefined,
        )
        .map(([where, s]) => `${where}: ${servicesOf(s).join()} ${list(s.Action).join()}`);
      expect(unconditioned).toEqual([]);
      // This stack's account: the policy's, or the deployment's for an environment-agnostic stack.
      const account = policy.env?.account ?? { Ref: 'AWS::AccountId' };
      for (const [, s] of statements.filter(([where, s]) => !isEventBridgeKeyUse(where, s))) {
        expect(conditionValue(s, 'aws:SourceAccount')).toEqual(account);
      }
      // The documented exception is one statement, and nothing but the key use.
      expect(statements.filter(([where, s]) => isEventBridgeKeyUse(where, s))).toHaveLength(1);
    },
  );

  it('admits EventBridge to the alarm topic only on behalf of the rules that target it', () => {
    // GIVEN
    const { Resources } = synth(
      validPolicy({ alarms: { emails: ['oncall@example.com'], secretAgeChecks: true } }),
    );

    // WHEN
    const topicIds = Object.entries(Resources)
      .filter(([, r]) => r.Type === 'AWS::SNS::Topic')
      .map(([id]) => id);
    const targetingRules = Object.entries(Resources)
      .filter(
        ([, r]) =>
          r.Type === 'AWS::Events::Rule' &&
          list(r.Properties?.Targets as Array<{ Arn: { Ref?: string } }> | undefined).some((t) =>
            topicIds.includes(t.Arn.Ref ?? ''),
          ),
      )
      .map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
    const publishers = resourcePolicyStatements(Resources).filter(
      ([where, s]) =>
        where.endsWith('(AWS::SNS::TopicPolicy)') && servicesOf(s).includes('events.amazonaws.com'),
    );

    // THEN
    expect(topicIds).toHaveLength(1);
    // The RotationFailed event rule and two AWS Config rules per secret.
    expect(targetingRules.length).toBeGreaterThanOrEqual(1 + 2 * 5);
    expect(publishers).toHaveLength(1);
    const sourceArns = list(conditionValue(publishers[0]?.[1] as Statement, 'aws:SourceArn'));
    expect(sourceArns).toEqual(expect.arrayContaining(targetingRules));
    expect(sourceArns).toHaveLength(targetingRules.length);
    expect(publishers[0]?.[1].Condition).toHaveProperty(['ArnEquals', 'aws:SourceArn']);
  });
});
