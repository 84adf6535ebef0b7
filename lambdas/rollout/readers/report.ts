/**
 * What summaries, events and logs say about readers and stragglers: the undeclared readers found at
 * preflight, who still holds the old credential (the strategy's stragglers and CloudTrail's), who
 * will break in an emergency, and which consumers an emergency could not force to re-read. Never a
 * secret: identities, addresses, times, evidence.
 */
import { describeStraggler, type StragglerRecord, stragglerIdentities } from '../../shared/stragglers';
import { describeStaleness } from '../consumers/cache';
import { consumerContract } from '../consumers/contracts';
import type { ConsumerConfig } from '../contract';
import type { WorkflowState } from '../plan';
import type { ReadersGate, ReadersReport } from './model';

const isReport = (value: unknown): value is ReadersReport =>
  typeof value === 'object' && value !== null && 'status' in value && 'undeclared' in value;
const isGate = (value: unknown): value is ReadersGate =>
  typeof value === 'object' && value !== null && 'blocking' in value && 'stragglers' in value;

/** Preflight's readers, when the find-readers task answered (not its caught error). */
export function readersOf(state: WorkflowState): ReadersReport | undefined {
  return isReport(state.readers) ? state.readers : undefined;
}

/** The readers check that last decided: the usage gate's, the report's, or the emergency's. */
function gateOf(state: WorkflowState): ReadersGate | undefined {
  for (const candidate of [state.usage?.readers, state.stragglers, state.precheckReaders]) {
    if (isGate(candidate)) return candidate;
  }
  return undefined;
}

/** Every straggler the rollout knows of: the strategy's (its target) and CloudTrail's readers. */
export function stragglersOf(state: WorkflowState): StragglerRecord[] {
  const usage = state.usage?.last ?? state.precheck;
  return [...(usage?.stragglers ?? []), ...(gateOf(state)?.stragglers ?? [])];
}

/** The fields milestone events carry about readers and stragglers. */
export function readersDetail(state: WorkflowState) {
  const readers = readersOf(state);
  const gate = gateOf(state);
  const stragglers = stragglersOf(state);
  return {
    ...(readers === undefined
      ? {}
      : { undeclaredReaders: readers.undeclared, readersEvidence: readers.evidence }),
    ...(gate === undefined ? {} : { readersBlocking: gate.blocking, readersGateEvidence: gate.evidence }),
    ...(stragglers.length === 0 ? {} : { stragglers }),
  };
}

/** The `stragglers` field of a log line: identities only. */
export function stragglerField(state: WorkflowState): { stragglers?: string[] } {
  const stragglers = stragglersOf(state);
  return stragglers.length === 0 ? {} : { stragglers: stragglerIdentities(stragglers) };
}

const bullet = (straggler: StragglerRecord) => `  - ${describeStraggler(straggler)}`;

/** The summary's lines about readers and stragglers. */
export function readersLines(state: WorkflowState): string[] {
  const lines: string[] = [];
  const readers = readersOf(state);
  if (readers !== undefined && readers.status !== 'off') {
    lines.push(`Readers:     ${readers.evidence}`);
    if (readers.undeclared.length > 0) {
      lines.push('Undeclared readers (no declared consumer; the rollout does not update them):');
      lines.push(...readers.undeclared.map(bullet));
    }
  }
  const usage = state.usage?.last ?? state.precheck;
  if ((usage?.stragglers?.length ?? 0) > 0) {
    lines.push('Still using the old credential (the target says):');
    lines.push(...(usage?.stragglers ?? []).map(bullet));
    if ((usage?.stragglersOmitted ?? 0) > 0) lines.push(`  - and ${usage?.stragglersOmitted} more`);
  }
  const gate = gateOf(state);
  if (gate !== undefined && gate !== state.precheckReaders) {
    lines.push(`Readers check: ${gate.evidence}`);
    if (gate.stragglers.length > 0) {
      lines.push(
        gate === state.stragglers
          ? 'Still holding the old value, which no longer works (CloudTrail):'
          : 'Still holding the old version (CloudTrail):',
      );
      lines.push(...gate.stragglers.map(bullet));
      if (gate.omitted > 0) lines.push(`  - and ${gate.omitted} more`);
    }
  }
  return lines;
}

/** How an emergency rollout refreshes a consumer, or its worst-case staleness when it cannot. */
export function refreshLine(consumer: ConsumerConfig): string {
  const refresh = consumerContract(consumer.kind).refresh;
  if (refresh.how === 'forced')
    return `  - ${consumer.name} (${consumer.kind}): refreshed: ${refresh.describe}`;
  if (refresh.how === 'acknowledged') {
    return `  - ${consumer.name} (${consumer.kind}): refreshed once it acknowledges: ${refresh.describe}`;
  }
  const staleness =
    consumer.cache === undefined
      ? 'unknown (its `reads` is not declared)'
      : `${describeStaleness(consumer.cache.staleSeconds)} (${consumer.cache.via})`;
  return `  - ${consumer.name} (${consumer.kind}): CANNOT be forced to re-read: ${refresh.describe}; worst case ${staleness}`;
}

/** The emergency summary's lines: who will break, and what the rollout refreshes. */
export function emergencyLines(state: WorkflowState, consumers: readonly ConsumerConfig[]): string[] {
  const lines: string[] = [];
  const breaking = isGate(state.precheckReaders) ? state.precheckReaders : undefined;
  if (breaking !== undefined) {
    lines.push('', 'Readers of the old version (CloudTrail), who will break:');
    if (breaking.stragglers.length === 0) lines.push(`  - none seen: ${breaking.evidence}`);
    lines.push(...breaking.stragglers.map(bullet));
    if (breaking.omitted > 0) lines.push(`  - and ${breaking.omitted} more`);
  }
  if (consumers.length > 0) {
    lines.push('', 'How each consumer is refreshed:');
    lines.push(...consumers.map(refreshLine));
  }
  return lines;
}
