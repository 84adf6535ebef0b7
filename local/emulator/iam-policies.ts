import { randomBytes } from 'node:crypto';
import type {
  AttachedPolicy,
  CreatePolicyResponse,
  CreateRoleResponse,
  EvaluationResult,
  GetRoleResponse,
  ListAttachedRolePoliciesResponse,
  ListRolePoliciesResponse,
  PolicySourceType,
  Role,
  SimulatePolicyResponse,
} from '@aws-sdk/client-iam';
import { AwsServiceError, QUERY_ERROR, queryError } from './errors';
import type { OperationInput } from './input';

/**
 * IAM roles and policies for the emulator, and the policy simulator: CreateRole, GetRole,
 * PutRolePolicy, ListRolePolicies, PutUserPolicy, ListUserPolicies, CreatePolicy,
 * AttachRolePolicy, AttachUserPolicy, ListAttachedRolePolicies, ListAttachedUserPolicies and
 * SimulatePrincipalPolicy.
 *
 * SimulatePrincipalPolicy evaluates, as IAM's policy evaluation logic documents it, the inline and
 * attached managed policies of the user or role (plus `PolicyInputList`), the permissions boundary
 * attached to it, and `ResourcePolicy` when given: an explicit `Deny` wins; otherwise the request
 * is allowed when an identity policy allows it (and the boundary does), or, in the same account,
 * when the resource policy allows the caller; `Action` / `NotAction` and `Resource` / `NotResource`
 * with `*` and `?` wildcards. A statement with a `Condition` applies only when every key it tests
 * is given in `ContextEntries`, with the operators `StringEquals`, `StringLike`, `Bool` and their
 * `...IfExists` forms; the keys it lacks are listed in `MissingContextValues`, as IAM lists them.
 *
 * Not emulated: groups, SCPs and RCPs (no organization), session policies, other condition
 * operators (such a statement never applies), policy versions beyond v1, deletion of roles and
 * policies. The emulator does NOT enforce any of these policies on calls: see the README.
 */

/** A policy statement, as written in a policy document. */
interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: '*' | Readonly<Record<string, string | readonly string[]>>;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

interface PolicyDocument {
  readonly Statement: readonly Statement[];
}

interface IamRole {
  readonly name: string;
  readonly path: string;
  readonly roleId: string;
  readonly arn: string;
  readonly createDate: Date;
  readonly assumeRolePolicy: string;
  readonly permissionsBoundary?: string;
}

interface ManagedPolicy {
  readonly name: string;
  readonly arn: string;
  readonly policyId: string;
  readonly document: string;
  readonly createDate: Date;
}

/** The principal whose policies are simulated. */
interface Entity {
  readonly kind: 'user' | 'role';
  readonly name: string;
  readonly arn: string;
  readonly permissionsBoundary?: string;
}

/** The IAM users the policies may attach to (owned by the IAM model). */
export interface UserDirectory {
  user(
    name: string,
  ): { readonly name: string; readonly arn: string; readonly permissionsBoundary?: string } | undefined;
}

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;

function member(input: OperationInput, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') {
    const name = field.charAt(0).toLowerCase() + field.slice(1);
    throw queryError(
      QUERY_ERROR.validation,
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optional(input: OperationInput, field: string): string | undefined {
  const value = input[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function list(input: OperationInput, field: string): string[] {
  const value = input[field];
  if (value === undefined || value === '') return [];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return typeof value === 'string' ? [value] : [];
}

const noSuchEntity = (message: string): AwsServiceError => queryError(QUERY_ERROR.noSuchEntity, message);

function parseDocument(text: string, field: string): PolicyDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AwsServiceError('MalformedPolicyDocument', `${field} is not valid JSON`);
  }
  const statements = (parsed as { Statement?: unknown }).Statement;
  const all = Array.isArray(statements) ? statements : statements === undefined ? [] : [statements];
  if (
    all.length === 0 ||
    !all.every(
      (s) => typeof s === 'object' && s !== null && ['Allow', 'Deny'].includes((s as Statement).Effect),
    )
  ) {
    throw new AwsServiceError(
      'MalformedPolicyDocument',
      `${field}: every statement needs an Effect of Allow or Deny`,
    );
  }
  return { Statement: all as Statement[] };
}

const many = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

/** `*` and `?` wildcards, as IAM matches actions (without case) and resources (with case). */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function actionMatches(statement: Statement, action: string): boolean {
  if (statement.NotAction !== undefined)
    return !many(statement.NotAction).some((p) => wildcard(p, action, true));
  return many(statement.Action).some((p) => wildcard(p, action, true));
}

function resourceMatches(statement: Statement, resource: string): boolean {
  if (statement.NotResource !== undefined)
    return !many(statement.NotResource).some((p) => wildcard(p, resource, false));
  if (statement.Resource === undefined) return true; // resource policies may leave it out
  return many(statement.Resource).some((p) => wildcard(p, resource, false));
}

function principalMatches(statement: Statement, caller: string, account: string): boolean {
  const principal = statement.Principal;
  if (principal === undefined) return false;
  if (principal === '*') return true;
  return many(principal.AWS).some(
    (p) => p === '*' || p === caller || p === account || p === `arn:aws:iam::${account}:root`,
  );
}

/** Evaluates a statement's condition: `true`, `false`, or the keys it lacks. */
function conditionHolds(
  statement: Statement,
  context: ReadonlyMap<string, readonly string[]>,
): boolean | string[] {
  const missing: string[] = [];
  for (const [operator, tests] of Object.entries(statement.Condition ?? {})) {
    const ifExists = operator.endsWith('IfExists');
    const base = operator.replace(/IfExists$/, '');
    for (const [key, expected] of Object.entries(tests)) {
      const values = context.get(key.toLowerCase());
      if (values === undefined) {
        if (ifExists) continue;
        missing.push(key);
        continue;
      }
      const wanted = many(expected);
      const ok = values.some((value) =>
        wanted.some((want) =>
          base === 'StringEquals' || base === 'Bool'
            ? value === want
            : base === 'StringLike'
              ? wildcard(want, value, false)
              : false,
        ),
      );
      if (!ok) return false;
    }
  }
  return missing.length === 0 ? true : missing;
}

/**
 * Roles, managed and inline policies, attachments, and SimulatePrincipalPolicy. Pure logic, no HTTP.
 */
export class IamPolicies {
  readonly accountId: string;
  readonly #users: UserDirectory;
  readonly #now: () => Date;
  readonly #roles = new Map<string, IamRole>();
  readonly #managed = new Map<string, ManagedPolicy>();
  /** entity ARN -> policy name -> document. */
  readonly #inline = new Map<string, Map<string, string>>();
  /** entity ARN -> managed policy ARNs. */
  readonly #attached = new Map<string, Set<string>>();

  readonly operations: Record<string, (input: OperationInput) => object> = {
    AttachRolePolicy: (input) =>
      this.#attach(this.#role(member(input, 'RoleName')).arn, member(input, 'PolicyArn')),
    AttachUserPolicy: (input) =>
      this.#attach(this.#user(member(input, 'UserName')).arn, member(input, 'PolicyArn')),
    CreatePolicy: (input) => this.#createPolicy(input),
    CreateRole: (input) => this.#createRole(input),
    GetRole: (input) => this.#getRole(input),
    ListAttachedRolePolicies: (input) => this.#listAttached(this.#role(member(input, 'RoleName')).arn),
    ListAttachedUserPolicies: (input) => this.#listAttached(this.#user(member(input, 'UserName')).arn),
    ListRolePolicies: (input) => this.#listInline(this.#role(member(input, 'RoleName')).arn),
    ListUserPolicies: (input) => this.#listInline(this.#user(member(input, 'UserName')).arn),
    PutRolePolicy: (input) => this.#putInline(this.#role(member(input, 'RoleName')).arn, input),
    PutUserPolicy: (input) => this.#putInline(this.#user(member(input, 'UserName')).arn, input),
    SimulatePrincipalPolicy: (input) => this.#simulate(input),
  };

  constructor(options: {
    readonly accountId: string;
    readonly users: UserDirectory;
    readonly now: () => Date;
  }) {
    this.accountId = options.accountId;
    this.#users = options.users;
    this.#now = options.now;
  }

  #role(name: string): IamRole {
    const role = this.#roles.get(name.toLowerCase());
    if (role === undefined) throw noSuchEntity(`The role with name ${name} cannot be found.`);
    return role;
  }

  #user(name: string): Entity {
    const user = this.#users.user(name);
    if (user === undefined) throw noSuchEntity(`The user with name ${name} cannot be found.`);
    return { kind: 'user', ...user };
  }

  #roleShape(role: IamRole): Role {
    return {
      Path: role.path,
      RoleName: role.name,
      RoleId: role.roleId,
      Arn: role.arn,
      CreateDate: role.createDate,
      AssumeRolePolicyDocument: encodeURIComponent(role.assumeRolePolicy),
      ...(role.permissionsBoundary === undefined
        ? {}
        : {
            PermissionsBoundary: {
              PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
              PermissionsBoundaryArn: role.permissionsBoundary,
            },
          }),
    };
  }

  #createRole(input: OperationInput): CreateRoleResponse {
    const name = member(input, 'RoleName');
    if (!ROLE_NAME.test(name)) throw queryError(QUERY_ERROR.validation, `Invalid role name ${name}`);
    if (this.#roles.has(name.toLowerCase())) {
      throw queryError(QUERY_ERROR.entityAlreadyExists, `Role with name ${name} already exists.`);
    }
    const trust = member(input, 'AssumeRolePolicyDocument');
    parseDocument(trust, 'AssumeRolePolicyDocument');
    const path = optional(input, 'Path') ?? '/';
    const boundary = optional(input, 'PermissionsBoundary');
    const role: IamRole = {
      name,
      path,
      roleId: `AROA${randomBytes(10).toString('hex').toUpperCase().slice(0, 17)}`,
      arn: `arn:aws:iam::${this.accountId}:role${path}${name}`,
      createDate: this.#now(),
      assumeRolePolicy: trust,
      ...(boundary === undefined ? {} : { permissionsBoundary: boundary }),
    };
    this.#roles.set(name.toLowerCase(), role);
    return { Role: this.#roleShape(role) };
  }

  #getRole(input: OperationInput): GetRoleResponse {
    return { Role: this.#roleShape(this.#role(member(input, 'RoleName'))) };
  }

  #createPolicy(input: OperationInput): CreatePolicyResponse {
    const name = member(input, 'PolicyName');
    if (!POLICY_NAME.test(name)) throw queryError(QUERY_ERROR.validation, `Invalid policy name ${name}`);
    const document = member(input, 'PolicyDocument');
    parseDocument(document, 'PolicyDocument');
    const path = optional(input, 'Path') ?? '/';
    const arn = `arn:aws:iam::${this.accountId}:policy${path}${name}`;
    if (this.#managed.has(arn)) {
      throw queryError(QUERY_ERROR.entityAlreadyExists, `A policy called ${name} already exists.`);
    }
    const policy: ManagedPolicy = {
      name,
      arn,
      policyId: `ANPA${randomBytes(10).toString('hex').toUpperCase().slice(0, 17)}`,
      document,
      createDate: this.#now(),
    };
    this.#managed.set(arn, policy);
    return {
      Policy: {
        PolicyName: name,
        PolicyId: policy.policyId,
        Arn: arn,
        Path: path,
        DefaultVersionId: 'v1',
        AttachmentCount: 0,
        IsAttachable: true,
        CreateDate: policy.createDate,
      },
    };
  }

  #attach(entityArn: string, policyArn: string): object {
    if (!this.#managed.has(policyArn))
      throw noSuchEntity(`Policy ${policyArn} does not exist or is not attachable.`);
    const set = this.#attached.get(entityArn) ?? new Set<string>();
    set.add(policyArn);
    this.#attached.set(entityArn, set);
    return {};
  }

  #listAttached(entityArn: string): ListAttachedRolePoliciesResponse {
    const policies: AttachedPolicy[] = [...(this.#attached.get(entityArn) ?? [])].map((arn) => ({
      PolicyArn: arn,
      PolicyName: this.#managed.get(arn)?.name ?? arn,
    }));
    return { AttachedPolicies: policies, IsTruncated: false };
  }

  #putInline(entityArn: string, input: OperationInput): object {
    const name = member(input, 'PolicyName');
    const document = member(input, 'PolicyDocument');
    parseDocument(document, 'PolicyDocument');
    const policies = this.#inline.get(entityArn) ?? new Map<string, string>();
    policies.set(name, document);
    this.#inline.set(entityArn, policies);
    return {};
  }

  #listInline(entityArn: string): ListRolePoliciesResponse {
    return { PolicyNames: [...(this.#inline.get(entityArn)?.keys() ?? [])], IsTruncated: false };
  }

  /** The user or role an ARN names. */
  #entity(arn: string): Entity {
    const match = /^arn:aws[\w-]*:iam::(\d{12}):(user|role)\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
    if (match === null) {
      throw queryError(QUERY_ERROR.validation, `Invalid ARN: ${arn} is not the ARN of an IAM user or role`);
    }
    if (match[2] === 'user') return this.#user(match[3] ?? '');
    const role = this.#role(match[3] ?? '');
    return {
      kind: 'role',
      name: role.name,
      arn: role.arn,
      ...(role.permissionsBoundary === undefined ? {} : { permissionsBoundary: role.permissionsBoundary }),
    };
  }

  /** The entity's identity policies: inline, then attached managed, with their ids. */
  #identityPolicies(entity: Entity): Array<{ id: string; type: PolicySourceType; document: PolicyDocument }> {
    const inline = [...(this.#inline.get(entity.arn) ?? [])].map(([name, text]) => ({
      id: name,
      type: (entity.kind === 'user' ? 'user' : 'role') as PolicySourceType,
      document: parseDocument(text, name),
    }));
    const attached = [...(this.#attached.get(entity.arn) ?? [])].flatMap((arn) => {
      const policy = this.#managed.get(arn);
      return policy === undefined
        ? []
        : [
            {
              id: policy.name,
              type: 'user-managed' as PolicySourceType,
              document: parseDocument(policy.document, arn),
            },
          ];
    });
    return [...inline, ...attached];
  }

  #simulate(input: OperationInput): SimulatePolicyResponse {
    const entity = this.#entity(member(input, 'PolicySourceArn'));
    const actions = list(input, 'ActionNames');
    if (actions.length === 0) {
      throw queryError(
        QUERY_ERROR.validation,
        "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null",
      );
    }
    const resources = list(input, 'ResourceArns');
    const resourcePolicyText = optional(input, 'ResourcePolicy');
    const callerArn = optional(input, 'CallerArn') ?? (entity.kind === 'user' ? entity.arn : undefined);
    if (resourcePolicyText !== undefined && callerArn === undefined) {
      throw queryError(
        QUERY_ERROR.validation,
        'CallerArn is required when you include a ResourcePolicy and the PolicySourceArn is not an IAM user.',
      );
    }
    const resourcePolicy =
      resourcePolicyText === undefined ? undefined : parseDocument(resourcePolicyText, 'ResourcePolicy');
    const extra = list(input, 'PolicyInputList').map((text, i) => ({
      id: `PolicyInputList.${i + 1}`,
      type: 'user' as PolicySourceType,
      document: parseDocument(text, 'PolicyInputList'),
    }));
    const identity = [...this.#identityPolicies(entity), ...extra];
    const boundaryPolicy =
      entity.permissionsBoundary === undefined ? undefined : this.#managed.get(entity.permissionsBoundary);
    const context = new Map<string, string[]>();
    const entries = input.ContextEntries;
    for (const entry of Array.isArray(entries) ? entries : []) {
      const e = entry as OperationInput;
      const key = optional(e, 'ContextKeyName');
      if (key !== undefined) context.set(key.toLowerCase(), list(e, 'ContextKeyValues'));
    }

    const results: EvaluationResult[] = [];
    for (const action of actions) {
      for (const resource of resources.length > 0 ? resources : ['*']) {
        const missing = new Set<string>();
        const matched: Array<{ SourcePolicyId: string; SourcePolicyType: PolicySourceType }> = [];
        const applies = (statement: Statement): boolean => {
          if (!actionMatches(statement, action) || !resourceMatches(statement, resource)) return false;
          const holds = conditionHolds(statement, context);
          if (Array.isArray(holds)) {
            for (const key of holds) missing.add(key);
            return false;
          }
          return holds;
        };
        let identityAllow = false;
        let deny = false;
        for (const policy of identity) {
          for (const statement of policy.document.Statement) {
            if (!applies(statement)) continue;
            matched.push({ SourcePolicyId: policy.id, SourcePolicyType: policy.type });
            if (statement.Effect === 'Deny') deny = true;
            else identityAllow = true;
          }
        }
        let resourceAllow = false;
        const sameAccount =
          resource.split(':')[4] === undefined ||
          resource === '*' ||
          resource.split(':')[4] === this.accountId;
        for (const statement of resourcePolicy?.Statement ?? []) {
          if (!principalMatches(statement, callerArn ?? '', this.accountId) || !applies(statement)) continue;
          matched.push({ SourcePolicyId: 'ResourcePolicy', SourcePolicyType: 'resource' });
          if (statement.Effect === 'Deny') deny = true;
          else resourceAllow = true;
        }
        const boundaryAllows =
          boundaryPolicy === undefined ||
          parseDocument(boundaryPolicy.document, boundaryPolicy.arn).Statement.some(
            (statement) => statement.Effect === 'Allow' && applies(statement),
          );
        const allowed = sameAccount
          ? (identityAllow && boundaryAllows) || resourceAllow
          : identityAllow && resourceAllow;
        results.push({
          EvalActionName: action,
          EvalResourceName: resource,
          EvalDecision: deny ? 'explicitDeny' : allowed ? 'allowed' : 'implicitDeny',
          MatchedStatements: matched,
          MissingContextValues: [...missing],
          ...(boundaryPolicy === undefined
            ? {}
            : { PermissionsBoundaryDecisionDetail: { AllowedByPermissionsBoundary: boundaryAllows } }),
        });
      }
    }
    return { EvaluationResults: results, IsTruncated: false };
  }
}
