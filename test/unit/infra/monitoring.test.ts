import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ALARM,
  type AlarmId,
  alarmDescription,
  ROTATION_FAILED_EVENT_PATTERN,
  RotationMonitoring,
  runbookAnchor,
} from '../../../infra/constructs';
import { ACCOUNT, outdirs, REGION, testStack } from './helpers';

const dirs = outdirs();
afterEach(() => dirs.cleanup());

describe('Construct: RotationMonitoring', () => {
  it('creates one topic encrypted with a rotating customer key, TLS only, that CloudWatch and EventBridge may use', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new RotationMonitoring(stack, 'Monitoring', {
      emailAddresses: ['oncall@example.com', 'sec@example.com'],
    });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('MonitoringTopicKey'), 'Arn'] },
    });
    const alarmArns = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudwatch:${REGION}:${ACCOUNT}:alarm:*`]],
    };
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'PublishFromcloudwatch',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
              ArnLike: { 'aws:SourceArn': alarmArns },
            },
          },
          // AWS does not support aws:SourceAccount / aws:SourceArn in a key policy for EventBridge
          // deliveries to an encrypted topic: the topic policy below is the gate.
          {
            Sid: 'PublishFromEventBridge',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Sid: 'CloudWatchAlarms',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
              ArnLike: { 'aws:SourceArn': alarmArns },
            },
          }),
          Match.objectLike({
            Sid: 'EventBridgeRules',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
              ArnEquals: {
                'aws:SourceArn': [
                  { 'Fn::GetAtt': [Match.stringLikeRegexp('MonitoringRotationFailedEvent'), 'Arn'] },
                ],
              },
            },
          }),
        ]),
      },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('sends every Secrets Manager RotationFailed event to the topic, with the secret and the runbook', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new RotationMonitoring(stack, 'Monitoring', { runbookUrl: 'https://example.com/README.md' });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail', 'AWS API Call via CloudTrail'],
        detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: ['RotationFailed'] },
      },
      Description: Match.stringLikeRegexp(
        'Runbook: https://example.com/README.md#runbook-rotation-failed-event$',
      ),
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('MonitoringTopic') },
          InputTransformer: {
            InputPathsMap: Match.objectLike({
              'detail-additionalEventData-SecretId': '$.detail.additionalEventData.SecretId',
            }),
            InputTemplate: Match.stringLikeRegexp(
              'rotation failed: secret <detail-additionalEventData-SecretId>',
            ),
          },
        }),
      ],
    });
    expect(ROTATION_FAILED_EVENT_PATTERN.detail).toEqual({
      eventSource: ['secretsmanager.amazonaws.com'],
      eventName: ['RotationFailed'],
    });
  });

  it('notifies an existing topic and creates no key or topic of its own', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());
    const topic = sns.Topic.fromTopicArn(stack, 'Existing', `arn:aws:sns:${REGION}:${ACCOUNT}:oncall`);

    // WHEN
    const monitoring = new RotationMonitoring(stack, 'Monitoring', { topic, rotationFailedEvents: false });
    monitoring.alarmOnRotationFailures('postgres');
    monitoring.alarmOnRotationFailures('postgres');

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [`arn:aws:sns:${REGION}:${ACCOUNT}:oncall`],
    });
  });

  it('finds the stack monitoring, or creates one', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    const first = RotationMonitoring.of(stack);
    const second = RotationMonitoring.of(stack);

    // THEN
    expect(second).toBe(first);
    expect(first.node.id).toBe('HandoverMonitoring');
  });
});

describe('Function: alarmDescription', () => {
  it.each(Object.values(ALARM))(
    'says what happened, what to do, and links the runbook of %s within 1024 characters',
    (id) => {
      // WHEN
      const description = alarmDescription(
        id as AlarmId,
        'a subject',
        'https://github.com/example-org/handover/blob/main/README.md',
      );

      // THEN
      expect(description).toMatch(/What happened: .+ What to do: .+ Runbook: /);
      expect(description.endsWith(`README.md#${runbookAnchor(id as AlarmId)}`)).toBe(true);
      expect(description.length).toBeLessThanOrEqual(1024);
    },
  );

  it('cuts the text, never the link, when a long runbook URL would pass the limit', () => {
    // WHEN
    const url = `https://example.com/${'x'.repeat(700)}/README.md`;
    const description = alarmDescription(ALARM.rotationFailedMetric, 'credential type postgres', url);

    // THEN
    expect(description.length).toBe(1024);
    expect(description.endsWith(`${url}#runbook-rotation-failed-metric`)).toBe(true);
    expect(description).toContain('…');
  });
});
