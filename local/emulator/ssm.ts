import { createHash } from 'node:crypto';
import type {
  GetParameterHistoryResult,
  GetParameterResult,
  GetParametersByPathResult,
  LabelParameterVersionResult,
  Parameter,
  ParameterHistory,
  ParameterTier,
  ParameterType,
  PutParameterResult,
} from '@aws-sdk/client-ssm';
import { createAwsJsonHandler } from './aws-json-protocol';
import { AwsServiceError } from './errors';
import {
  type OperationInput,
  optionalBoolean,
  optionalInteger,
  optionalObjectList,
  optionalString,
  optionalStringList,
  requireString,
} from './input';
import type { ProtocolHandler } from './protocol';

/**
 * SSM Parameter Store for the emulator: PutParameter, GetParameter, GetParameterHistory,
 * LabelParameterVersion and DeleteParameter over the protocol the installed `@aws-sdk/client-ssm`
 * speaks: AWS JSON 1.1 (`X-Amz-Target: AmazonSSM.<Operation>`).
 *
 * Semantics kept from SSM: every PutParameter makes a new version (1, 2, ...); an existing name
 * without `Overwrite` is `ParameterAlreadyExists`; `Tags` with `Overwrite` is a `ValidationException`;
 * `Type` is required on creation and kept on overwrite when omitted; a SecureString is returned as
 * ciphertext unless `WithDecryption`; `name:version` and `name:label` selectors; a label lives on one
 * version at a time and moves when put on another; at most 10 labels per version; 100 versions are
 * kept (the oldest is dropped, or `ParameterMaxVersionLimitExceeded` when it has a label).
 *
 * Not emulated: KMS (any `KeyId` is accepted and recorded), policies, tiers beyond the size check,
 * StringList validation, DescribeParameters, GetParametersByPath filters.
 */

/** Every SSM operation the emulator implements. */
export const SSM_OPERATIONS = [
  'DeleteParameter',
  'GetParameter',
  'GetParameterHistory',
  'GetParametersByPath',
  'LabelParameterVersion',
  'PutParameter',
] as const;
/** An SSM operation the emulator implements. */
export type SsmOperation = (typeof SSM_OPERATIONS)[number];

/** The `X-Amz-Target` prefix of SSM. */
export const SSM_TARGET_PREFIX = 'AmazonSSM';

/** Exception names (`__type`) SSM returns. */
export const SSM_ERROR = {
  parameterNotFound: 'ParameterNotFound',
  parameterAlreadyExists: 'ParameterAlreadyExists',
  parameterVersionNotFound: 'ParameterVersionNotFound',
  labelLimitExceeded: 'ParameterVersionLabelLimitExceeded',
  maxVersionLimitExceeded: 'ParameterMaxVersionLimitExceeded',
  validation: 'ValidationException',
  invalidNextToken: 'InvalidNextToken',
} as const;

const MAX_VERSIONS = 100;
const MAX_LABELS_PER_VERSION = 10;
const STANDARD_MAX_VALUE = 4096;
const ADVANCED_MAX_VALUE = 8192;
const NAME_PATTERN = /^[a-zA-Z0-9_.\-/]{1,2048}$/;
const LABEL_PATTERN = /^[a-zA-Z0-9_.-]{1,100}$/;
const TYPES: readonly string[] = ['String', 'StringList', 'SecureString'];
const DEFAULT_KEY = 'alias/aws/ssm';

const validation = (message: string) => new AwsServiceError(SSM_ERROR.validation, message);

interface ParameterVersion {
  readonly version: number;
  readonly value: string;
  readonly type: ParameterType;
  readonly keyId: string | undefined;
  readonly description: string | undefined;
  readonly tier: ParameterTier;
  readonly lastModified: Date;
  readonly labels: string[];
}

interface StoredParameter {
  readonly name: string;
  readonly versions: ParameterVersion[];
  nextVersion: number;
}

/** A parameter's latest version as tests read it (plain text, even a SecureString). */
export interface ParameterSnapshot {
  readonly name: string;
  readonly type: ParameterType;
  readonly value: string;
  readonly version: number;
  readonly keyId?: string;
  readonly labels: readonly string[];
}

/** Options of the SSM model. */
export interface SsmOptions {
  /** The region in ARNs. @default 'us-east-1' */
  readonly region?: string;
  /** The account id in ARNs. @default '123456789012' */
  readonly accountId?: string;
  /** The clock. @default - the system clock */
  readonly now?: () => Date;
}

/**
 * The Parameter Store model. Pure logic, no HTTP.
 *
 * @example
 * ```ts
 * const ssm = new SsmService();
 * ssm.invoke('PutParameter', { Name: '/app/db', Value: 'v', Type: 'SecureString' });
 * ssm.parameter('/app/db'); // { version: 1, type: 'SecureString', value: 'v', labels: [] , ... }
 * ```
 */
export class SsmService {
  readonly region: string;
  readonly accountId: string;
  readonly #now: () => Date;
  readonly #parameters = new Map<string, StoredParameter>();

  readonly #operations: Record<SsmOperation, (input: OperationInput) => object> = {
    DeleteParameter: (input) => this.#deleteParameter(input),
    GetParameter: (input) => this.#getParameter(input),
    GetParameterHistory: (input) => this.#getParameterHistory(input),
    GetParametersByPath: (input) => this.#getParametersByPath(input),
    LabelParameterVersion: (input) => this.#labelParameterVersion(input),
    PutParameter: (input) => this.#putParameter(input),
  };

  constructor(options: SsmOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.#now = options.now ?? (() => new Date());
  }

  /** Whether `operation` is an SSM operation the emulator implements. */
  static isOperation(operation: string): operation is SsmOperation {
    return (SSM_OPERATIONS as readonly string[]).includes(operation);
  }

  /** Runs one operation on decoded input and returns the response members. Throws `AwsServiceError`. */
  invoke(operation: SsmOperation, input: OperationInput): object {
    return this.#operations[operation](input);
  }

  /** The latest version of a parameter, in plain text; `undefined` when it does not exist. */
  parameter(name: string): ParameterSnapshot | undefined {
    const latest = this.#parameters.get(name)?.versions.at(-1);
    if (latest === undefined) return undefined;
    return {
      name,
      type: latest.type,
      value: latest.value,
      version: latest.version,
      ...(latest.keyId === undefined ? {} : { keyId: latest.keyId }),
      labels: [...latest.labels],
    };
  }

  /** Forgets every parameter. */
  clear(): void {
    this.#parameters.clear();
  }

  #arn(name: string): string {
    return `arn:aws:ssm:${this.region}:${this.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  }

  #requireName(input: OperationInput): string {
    const name = input.Name;
    if (typeof name !== 'string' || name === '') {
      throw validation(
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
      );
    }
    return name;
  }

  #validateName(name: string): void {
    if (!NAME_PATTERN.test(name)) {
      throw validation(
        'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.',
      );
    }
    const first = name.replace(/^\//, '').split('/')[0]?.toLowerCase() ?? '';
    if (first.startsWith('aws') || first.startsWith('ssm')) {
      throw validation(`No access to reserved parameter name: ${name}.`);
    }
    if (name.includes('/') && !name.startsWith('/')) {
      throw validation('Parameter name must be a fully qualified name.');
    }
  }

  #putParameter(input: OperationInput): PutParameterResult {
    const name = this.#requireName(input);
    this.#validateName(name);
    const value = input.Value;
    if (typeof value !== 'string') {
      throw validation(
        "1 validation error detected: Value null at 'value' failed to satisfy constraint: Member must not be null",
      );
    }
    if (value === '') throw validation('Parameter value must not be empty.');
    const overwrite = optionalBoolean(input, 'Overwrite') ?? false;
    const tags = optionalObjectList(input, 'Tags');
    if (overwrite && tags !== undefined && tags.length > 0) {
      throw validation(
        "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
      );
    }
    const requestedType = optionalString(input, 'Type');
    if (requestedType !== undefined && !TYPES.includes(requestedType)) {
      throw validation(
        `1 validation error detected: Value '${requestedType}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`,
      );
    }
    const stored = this.#parameters.get(name);
    const latest = stored?.versions.at(-1);
    if (latest !== undefined && !overwrite) {
      throw new AwsServiceError(
        SSM_ERROR.parameterAlreadyExists,
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const type = (requestedType ?? latest?.type) as ParameterType | undefined;
    if (type === undefined) throw validation('A parameter type is required when you create a parameter.');
    const keyId = optionalString(input, 'KeyId');
    if (keyId !== undefined && type !== 'SecureString') {
      throw validation('KeyId is required for SecureString type parameter only.');
    }
    const requestedTier = optionalString(input, 'Tier');
    const tier: ParameterTier =
      requestedTier === 'Advanced' || latest?.tier === 'Advanced' ? 'Advanced' : 'Standard';
    const max = tier === 'Advanced' ? ADVANCED_MAX_VALUE : STANDARD_MAX_VALUE;
    if (value.length > max) {
      throw validation(
        `Standard tier parameters support a maximum parameter value of ${STANDARD_MAX_VALUE} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`,
      );
    }
    const parameter = stored ?? { name, versions: [], nextVersion: 1 };
    if (parameter.versions.length >= MAX_VERSIONS) {
      const oldest = parameter.versions[0];
      if (oldest !== undefined && oldest.labels.length > 0) {
        throw new AwsServiceError(
          SSM_ERROR.maxVersionLimitExceeded,
          `You attempted to create a new version of ${name} by calling the PutParameter API with the overwrite flag. Version ${oldest.version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
        );
      }
      parameter.versions.shift();
    }
    const version: ParameterVersion = {
      version: parameter.nextVersion,
      value,
      type,
      keyId: type === 'SecureString' ? (keyId ?? latest?.keyId ?? DEFAULT_KEY) : undefined,
      description: optionalString(input, 'Description') ?? latest?.description,
      tier,
      lastModified: this.#now(),
      labels: [],
    };
    parameter.nextVersion += 1;
    parameter.versions.push(version);
    this.#parameters.set(name, parameter);
    return { Version: version.version, Tier: tier };
  }

  /** Resolves `name`, `name:version` or `name:label` to a stored version. */
  #select(reference: string): { parameter: StoredParameter; version: ParameterVersion; selector?: string } {
    const colon = reference.lastIndexOf(':');
    const name = colon > 0 ? reference.slice(0, colon) : reference;
    const selector = colon > 0 ? reference.slice(colon + 1) : undefined;
    const parameter = this.#parameters.get(name);
    const latest = parameter?.versions.at(-1);
    if (parameter === undefined || latest === undefined) {
      throw new AwsServiceError(SSM_ERROR.parameterNotFound, `Parameter ${name} not found.`);
    }
    if (selector === undefined) return { parameter, version: latest };
    const version = /^\d+$/.test(selector)
      ? parameter.versions.find((v) => v.version === Number(selector))
      : parameter.versions.find((v) => v.labels.includes(selector));
    if (version === undefined) {
      throw new AwsServiceError(
        SSM_ERROR.parameterVersionNotFound,
        `Systems Manager could not find version ${selector} of ${name}. Verify the version and try again.`,
      );
    }
    return { parameter, version, selector: `:${selector}` };
  }

  #value(version: ParameterVersion, decrypt: boolean): string {
    if (version.type !== 'SecureString' || decrypt) return version.value;
    // Ciphertext stand-in: opaque, stable, and not the value.
    return Buffer.from(createHash('sha256').update(`${version.keyId}:${version.value}`).digest()).toString(
      'base64',
    );
  }

  #getParameter(input: OperationInput): GetParameterResult {
    const reference = this.#requireName(input);
    const decrypt = optionalBoolean(input, 'WithDecryption') ?? false;
    const { parameter, version, selector } = this.#select(reference);
    const result: Parameter = {
      Name: parameter.name,
      Type: version.type,
      Value: this.#value(version, decrypt),
      Version: version.version,
      ...(selector === undefined ? {} : { Selector: selector }),
      LastModifiedDate: version.lastModified,
      ARN: this.#arn(parameter.name),
      DataType: 'text',
    };
    return { Parameter: result };
  }

  /**
   * GetParametersByPath: the latest version of every parameter under `Path` (one level, or every
   * level with `Recursive`), by name, at most `MaxResults` (1 to 10) per page. Filters are not
   * emulated.
   */
  #getParametersByPath(input: OperationInput): GetParametersByPathResult {
    const path = requireString(input, 'Path');
    if (!path.startsWith('/')) {
      throw new AwsServiceError(
        SSM_ERROR.validation,
        'The parameter path must begin with a forward slash (/).',
      );
    }
    const recursive = optionalBoolean(input, 'Recursive') ?? false;
    const decrypt = optionalBoolean(input, 'WithDecryption') ?? false;
    const maxResults = optionalInteger(input, 'MaxResults', 1, 10) ?? 10;
    const token = optionalString(input, 'NextToken');
    const offset = token === undefined ? 0 : Number(token);
    if (!Number.isInteger(offset) || offset < 0) {
      throw new AwsServiceError(SSM_ERROR.invalidNextToken, 'The specified token is not valid.');
    }
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const names = [...this.#parameters.keys()]
      .filter((name) => name.startsWith(prefix) && (recursive || !name.slice(prefix.length).includes('/')))
      .sort();
    const page = names.slice(offset, offset + maxResults);
    const parameters: Parameter[] = page.flatMap((name) => {
      const version = this.#parameters.get(name)?.versions.at(-1);
      if (version === undefined) return [];
      return [
        {
          Name: name,
          Type: version.type,
          Value: this.#value(version, decrypt),
          Version: version.version,
          LastModifiedDate: version.lastModified,
          ARN: this.#arn(name),
          DataType: 'text',
        },
      ];
    });
    const next = offset + maxResults < names.length ? String(offset + maxResults) : undefined;
    return { Parameters: parameters, ...(next === undefined ? {} : { NextToken: next }) };
  }

  #getParameterHistory(input: OperationInput): GetParameterHistoryResult {
    const name = this.#requireName(input);
    const decrypt = optionalBoolean(input, 'WithDecryption') ?? false;
    const maxResults = optionalInteger(input, 'MaxResults', 1, 50) ?? 50;
    const token = optionalString(input, 'NextToken');
    const offset = token === undefined ? 0 : Number(token);
    if (!Number.isInteger(offset) || offset < 0) {
      throw new AwsServiceError(SSM_ERROR.invalidNextToken, 'The specified token is not valid.');
    }
    const parameter = this.#parameters.get(name);
    if (parameter === undefined)
      throw new AwsServiceError(SSM_ERROR.parameterNotFound, `Parameter ${name} not found.`);
    const page = parameter.versions.slice(offset, offset + maxResults);
    const history: ParameterHistory[] = page.map((v) => ({
      Name: name,
      Type: v.type,
      ...(v.keyId === undefined ? {} : { KeyId: v.keyId }),
      LastModifiedDate: v.lastModified,
      LastModifiedUser: `arn:aws:iam::${this.accountId}:user/emulator`,
      ...(v.description === undefined ? {} : { Description: v.description }),
      Value: this.#value(v, decrypt),
      Version: v.version,
      Labels: [...v.labels],
      Tier: v.tier,
      Policies: [],
      DataType: 'text',
    }));
    const next = offset + maxResults < parameter.versions.length ? String(offset + maxResults) : undefined;
    return { Parameters: history, ...(next === undefined ? {} : { NextToken: next }) };
  }

  #labelParameterVersion(input: OperationInput): LabelParameterVersionResult {
    const name = this.#requireName(input);
    const labels = optionalStringList(input, 'Labels');
    if (labels === undefined || labels.length === 0 || labels.length > MAX_LABELS_PER_VERSION) {
      throw validation(`Labels must list between 1 and ${MAX_LABELS_PER_VERSION} labels.`);
    }
    const parameter = this.#parameters.get(name);
    const latest = parameter?.versions.at(-1);
    if (parameter === undefined || latest === undefined) {
      throw new AwsServiceError(SSM_ERROR.parameterNotFound, `Parameter ${name} not found.`);
    }
    const requested = optionalInteger(input, 'ParameterVersion', 1, Number.MAX_SAFE_INTEGER);
    const target = requested === undefined ? latest : parameter.versions.find((v) => v.version === requested);
    if (target === undefined) {
      throw new AwsServiceError(
        SSM_ERROR.parameterVersionNotFound,
        `Systems Manager could not find version ${requested} of ${name}. Verify the version and try again.`,
      );
    }
    const invalid = labels.filter(
      (label) => !LABEL_PATTERN.test(label) || /^\d/.test(label) || /^(aws|ssm)/i.test(label),
    );
    const valid = labels.filter((label) => !invalid.includes(label));
    const added = valid.filter((label) => !target.labels.includes(label));
    if (target.labels.length + added.length > MAX_LABELS_PER_VERSION) {
      throw new AwsServiceError(
        SSM_ERROR.labelLimitExceeded,
        `A parameter version can have maximum ${MAX_LABELS_PER_VERSION} labels. Move one or more labels to another version and try again.`,
      );
    }
    for (const label of added) {
      for (const other of parameter.versions) {
        const index = other.labels.indexOf(label);
        if (index >= 0) other.labels.splice(index, 1);
      }
      target.labels.push(label);
    }
    return { InvalidLabels: invalid, ParameterVersion: target.version };
  }

  #deleteParameter(input: OperationInput): object {
    const name = this.#requireName(input);
    if (!this.#parameters.delete(name)) {
      throw new AwsServiceError(SSM_ERROR.parameterNotFound, `Parameter ${name} not found.`);
    }
    return {};
  }
}

/** Serves an {@link SsmService} over AWS JSON 1.1. */
export function createSsmHandler(ssm: SsmService): ProtocolHandler {
  return createAwsJsonHandler({
    service: 'ssm',
    targetPrefix: SSM_TARGET_PREFIX,
    jsonVersion: '1.1',
    isOperation: (operation) => SsmService.isOperation(operation),
    invoke: (operation, input) => {
      if (!SsmService.isOperation(operation)) {
        throw new AwsServiceError(
          'UnknownOperationException',
          `The emulator does not implement ${operation}.`,
        );
      }
      return ssm.invoke(operation, input);
    },
    resourceMembers: ['Name'],
  });
}
