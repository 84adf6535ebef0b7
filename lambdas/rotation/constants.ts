/** Staging labels Secrets Manager uses during rotation. */
export const STAGE = {
  current: 'AWSCURRENT',
  pending: 'AWSPENDING',
  previous: 'AWSPREVIOUS',
} as const;

/** The four steps of the Secrets Manager rotation protocol, in the order the service calls them. */
export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof STEPS)[number];

/**
 * Every credential type Handover rotates. The registry in `lambdas/credentials/registry.ts` is an
 * exhaustive `Record` over this list, so a new type does not compile until it is registered.
 */
export const CREDENTIAL_TYPES = ['postgres', 'mysql', 'iam-access-key', 'api-key', 'shared-key'] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];
