/**
 * What CloudTrail documents about delivery and LookupEvents, as Handover waits for it. Pure: the
 * policy validation and the Lambdas share it.
 */
/** What CloudTrail's documentation promises about delivery, as Handover waits for it. */
export const CLOUDTRAIL_DELIVERY = {
  /**
   * Seconds Handover waits by default before trusting that an event is absent: 15 minutes. AWS
   * documents an average of about 5 minutes, not guaranteed, and documented 15 minutes before 2023.
   */
  defaultDelaySeconds: 900,
  /** The documented average, the least a deployment may configure. */
  documentedAverageSeconds: 300,
  /** How far back LookupEvents reaches. */
  retentionDays: 90,
  /** Calls per second per account and region. */
  lookupsPerSecond: 2,
} as const;
