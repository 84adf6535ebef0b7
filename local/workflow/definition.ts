import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createHandoverApp } from '../../infra/handover-app';
import { policy } from '../../infra/policy';

/** A state of the definition, as far as the harness needs to know it. */
export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly ItemProcessor?: { readonly States: Record<string, AslState> };
  readonly [field: string]: unknown;
}

/** The state machine definition (Amazon States Language). */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly QueryLanguage?: string;
  readonly [field: string]: unknown;
}

/** The placeholder ARN every `Fn::GetAtt [<logical id>, Arn]` of a function resolves to. */
export const placeholderFunctionArn = (logicalId: string) =>
  `arn:aws:lambda:us-east-1:123456789012:function:${logicalId}`;

type Token = string | { Ref?: string; 'Fn::GetAtt'?: [string, string] };

function resolveToken(part: Token): string {
  if (typeof part === 'string') return part;
  if (part.Ref === 'AWS::Partition') return 'aws';
  if (part.Ref === 'AWS::Region') return 'us-east-1';
  if (part.Ref === 'AWS::AccountId') return '123456789012';
  if (part.Ref !== undefined) return `placeholder-${part.Ref}`;
  const getAtt = part['Fn::GetAtt'];
  if (getAtt !== undefined && getAtt[1] === 'Arn') return placeholderFunctionArn(getAtt[0]);
  throw new Error(`unexpected token in the definition: ${JSON.stringify(part)}`);
}

/**
 * Synthesizes the example policy's stack (infra/policy.ts: the definition that is deployed) and
 * returns its rollout state machine definition with every CloudFormation token resolved to a
 * placeholder ARN, plus the placeholder ARN of the rollout function.
 */
export function synthesizedDefinition(): { definition: AslDefinition; rolloutFunctionArn: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'handover-workflow-'));
  try {
    const { stack } = createHandoverApp({
      policy,
      outdir,
      bundling: false,
      nag: false,
      cloudFormationValidation: false,
    });
    const template = Template.fromStack(stack);
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
    const body = (machines[0] as { Properties: { DefinitionString: unknown } }).Properties.DefinitionString;
    const parts = (body as { 'Fn::Join': [string, Token[]] })['Fn::Join'][1];
    const definition = JSON.parse(parts.map(resolveToken).join('')) as AslDefinition;
    const functions = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) =>
      id.startsWith('RolloutFunction'),
    );
    if (functions.length !== 1) throw new Error(`expected one rollout function, found ${functions.length}`);
    return { definition, rolloutFunctionArn: placeholderFunctionArn(functions[0] as string) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Every state of a definition, item processors included: `[name, state]`. */
export function allStates(states: Record<string, AslState>): Array<[string, AslState]> {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...(state.ItemProcessor === undefined ? [] : allStates(state.ItemProcessor.States)),
  ]);
}
