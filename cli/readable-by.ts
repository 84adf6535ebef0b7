import {
  GetRoleCommand,
  GetUserCommand,
  type SimulatePolicyResponse,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { GetResourcePolicyCommand } from '@aws-sdk/client-secrets-manager';
import type { RolloutConfig } from '../lambdas/rollout/contract';
import type { CliContext } from './context';
import { CliError, EXIT, fromAwsError } from './errors';
import { describe } from './secrets';

/** The action that reads a secret's value. */
export const READ_ACTION = 'secretsmanager:GetSecretValue';

/** How `--readable-by` decided, stated in the output. */
export interface ReadableByMethod {
  readonly summary: string;
  readonly cannotSee: readonly string[];
}

/** A secret the principal could read, and why. */
export interface ReadableSecret {
  readonly arn: string;
  readonly name: string;
  readonly config: RolloutConfig;
  /** `identity policy`, `resource policy`. */
  readonly via: readonly string[];
  /** Condition keys the decision depended on but could not evaluate: counted as readable. */
  readonly unevaluatedConditions: readonly string[];
}

/** What `--readable-by` found. */
export interface ReadableBy {
  readonly principal: string;
  readonly method: ReadableByMethod;
  readonly readable: readonly ReadableSecret[];
  readonly checked: number;
}

/** A statement of a resource policy, as far as the CLI reads it. */
interface Statement {
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

const many = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : Array.isArray(value)
      ? value.filter((v): v is string => typeof v === 'string')
      : [];

const wildcard = (pattern: string, value: string, ignoreCase: boolean) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'i' : '',
  ).test(value);

/** The principal: an IAM user or role, or an assumed-role session (its role is simulated). */
function parsePrincipal(arn: string): {
  kind: 'user' | 'role';
  name: string;
  arn: string;
  account: string;
  session?: string;
} {
  const iam = /^arn:(aws[\w-]*):iam::(\d{12}):(user|role)\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
  if (iam !== null)
    return { kind: iam[3] as 'user' | 'role', name: iam[4] ?? '', arn, account: iam[2] ?? '' };
  const session = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/(.+)$/.exec(arn);
  if (session !== null) {
    return {
      kind: 'role',
      name: session[3] ?? '',
      arn: `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`,
      account: session[2] ?? '',
      session: session[4] ?? '',
    };
  }
  throw new CliError(
    EXIT.usage,
    `--readable-by takes the ARN of an IAM user, role or assumed-role session, got "${arn}"`,
    'e.g. arn:aws:iam::123456789012:role/ci-deployer',
  );
}

/**
 * What a secret's resource policy says about the principal reading it: `deny` (an unconditional
 * Deny that names it), `allow` (an Allow that names it, its role, or `*`), with the condition keys
 * of the statements that matched (not evaluated: such a grant counts, such a deny does not).
 * `Principal: <account>` delegates to identity policies and grants nothing by itself.
 */
export function resourcePolicyDecision(
  policy: string,
  principal: { arn: string; sessionArn?: string },
  secretArn: string,
): { readonly allow: boolean; readonly deny: boolean; readonly conditions: string[] } {
  let statements: Statement[] = [];
  try {
    const parsed = JSON.parse(policy) as { Statement?: Statement | Statement[] };
    statements = Array.isArray(parsed.Statement)
      ? parsed.Statement
      : parsed.Statement === undefined
        ? []
        : [parsed.Statement];
  } catch {
    return { allow: false, deny: false, conditions: ['(resource policy is not valid JSON)'] };
  }
  const names = [principal.arn, principal.sessionArn].filter((name): name is string => name !== undefined);
  let allow = false;
  let deny = false;
  const conditions: string[] = [];
  for (const statement of statements) {
    const named =
      statement.Principal === '*' ||
      many((statement.Principal as { AWS?: unknown } | undefined)?.AWS).some(
        (p) => p === '*' || names.includes(p),
      ) ||
      (statement.NotPrincipal !== undefined &&
        !many((statement.NotPrincipal as { AWS?: unknown }).AWS).some((p) => names.includes(p)));
    const action =
      statement.NotAction !== undefined
        ? !many(statement.NotAction).some((p) => wildcard(p, READ_ACTION, true))
        : many(statement.Action).some((p) => wildcard(p, READ_ACTION, true));
    const resource =
      statement.NotResource !== undefined
        ? !many(statement.NotResource).some((p) => wildcard(p, secretArn, false))
        : statement.Resource === undefined ||
          many(statement.Resource).some((p) => wildcard(p, secretArn, false));
    if (!named || !action || !resource) continue;
    const keys = Object.values(statement.Condition ?? {}).flatMap((test) => Object.keys(test));
    if (statement.Effect === 'Deny') {
      if (keys.length === 0) deny = true;
    } else if (statement.Effect === 'Allow') {
      allow = true;
      conditions.push(...keys);
    }
  }
  return { allow, deny, conditions };
}

const METHOD: ReadableByMethod = {
  summary: `identity policies evaluated by IAM's policy simulator (SimulatePrincipalPolicy of ${READ_ACTION} on each secret: the principal's inline and managed policies, its groups' and its permissions boundary); each secret's resource policy (GetResourcePolicy) matched by this CLI (Principal, Action, Resource). Same account: readable when either allows and nothing denies; another account: when both allow. A grant that depends on a condition the method cannot evaluate counts as readable.`,
  cannotSee: [
    'SCPs and RCPs of an AWS Organization (the simulator reports them only where it evaluates them)',
    "session policies of an assumed-role session (the role's own permissions are used: an upper bound)",
    'condition values of the real request (source IP, VPC endpoint, tags, time): conditional grants count as readable, conditional denies do not count',
    'KMS key policies: reading a secret encrypted with a customer managed key also needs kms:Decrypt on it',
  ],
};

/**
 * The managed secrets a compromised principal could read (`secretsmanager:GetSecretValue`), for
 * an emergency rotation of all of them. Over-approximates where it cannot see (see
 * {@link METHOD}): in an incident, rotating a secret that was safe costs less than missing one.
 */
export async function readableBy(
  ctx: CliContext,
  principalArn: string,
  configs: readonly RolloutConfig[],
): Promise<ReadableBy> {
  const principal = parsePrincipal(principalArn);
  try {
    if (principal.kind === 'user') await ctx.aws.iam.send(new GetUserCommand({ UserName: principal.name }));
    else await ctx.aws.iam.send(new GetRoleCommand({ RoleName: principal.name }));
  } catch (error) {
    throw fromAwsError(
      error,
      `iam:Get${principal.kind === 'user' ? 'User' : 'Role'} on ${principal.name}`,
      (code) =>
        code === 'NoSuchEntity' || code === 'NoSuchEntityException'
          ? new CliError(
              EXIT.notFound,
              `the ${principal.kind} ${principal.arn} does not exist`,
              'Check the ARN (an assumed-role session names its role)',
            )
          : undefined,
    );
  }
  const secrets = [];
  for (const config of configs) {
    const secret = await describe(ctx, config.secretArn).catch((error: unknown) => {
      if (error instanceof CliError && error.exitCode === EXIT.notFound) return undefined;
      throw error;
    });
    if (secret !== undefined) secrets.push({ secret, config });
  }
  const identity = new Map<string, { allowed: boolean; denied: boolean; missing: string[] }>();
  for (let i = 0; i < secrets.length; i += 50) {
    const batch = secrets.slice(i, i + 50);
    let results: SimulatePolicyResponse;
    try {
      results = await ctx.aws.iam.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: principal.arn,
          ActionNames: [READ_ACTION],
          ResourceArns: batch.map(({ secret }) => secret.arn),
        }),
      );
    } catch (error) {
      throw fromAwsError(error, `iam:SimulatePrincipalPolicy for ${principal.arn}`);
    }
    for (const result of results.EvaluationResults ?? []) {
      identity.set(result.EvalResourceName ?? '', {
        allowed: result.EvalDecision === 'allowed',
        denied: result.EvalDecision === 'explicitDeny',
        missing: result.MissingContextValues ?? [],
      });
    }
  }
  const readable: ReadableSecret[] = [];
  for (const { secret, config } of secrets) {
    let policy: string | undefined;
    try {
      policy = (await ctx.aws.secretsManager.send(new GetResourcePolicyCommand({ SecretId: secret.arn })))
        .ResourcePolicy;
    } catch (error) {
      throw fromAwsError(error, `secretsmanager:GetResourcePolicy on ${secret.name}`);
    }
    const fromIdentity = identity.get(secret.arn) ?? { allowed: false, denied: false, missing: [] };
    const fromResource =
      policy === undefined
        ? { allow: false, deny: false, conditions: [] }
        : resourcePolicyDecision(
            policy,
            { arn: principal.arn, ...(principal.session === undefined ? {} : { sessionArn: principalArn }) },
            secret.arn,
          );
    if (fromIdentity.denied || fromResource.deny) continue;
    const identityMaybe = fromIdentity.allowed || fromIdentity.missing.length > 0;
    const sameAccount = secret.arn.split(':')[4] === principal.account;
    const readableNow = sameAccount
      ? identityMaybe || fromResource.allow
      : identityMaybe && fromResource.allow;
    if (!readableNow) continue;
    readable.push({
      arn: secret.arn,
      name: secret.name,
      config,
      via: [
        ...(identityMaybe ? ['identity policy'] : []),
        ...(fromResource.allow ? ['resource policy'] : []),
      ],
      unevaluatedConditions: [...new Set([...fromIdentity.missing, ...fromResource.conditions])],
    });
  }
  return { principal: principalArn, method: METHOD, readable, checked: secrets.length };
}
