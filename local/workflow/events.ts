/** Secrets Manager's RotationSucceeded event, as EventBridge delivers it (CloudTrail service event). */
export function rotationSucceededEvent(secretArn: string) {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'AWS Service Event via CloudTrail',
    source: 'aws.secretsmanager',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: {
      eventVersion: '1.08',
      eventSource: 'secretsmanager.amazonaws.com',
      eventName: 'RotationSucceeded',
      awsRegion: 'us-east-1',
      requestParameters: null,
      responseElements: null,
      additionalEventData: { SecretId: secretArn },
      eventType: 'AwsServiceEvent',
    },
  };
}
