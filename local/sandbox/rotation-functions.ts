import type { StepInvocation } from '../emulator';
import type { Stage } from './stage';
import type { Timeline } from './timeline';

/** A rotation function as the sandbox runs it: the real handler, called in-process. */
export type RotationFunction = (event: never) => Promise<unknown>;

/**
 * Registers a rotation function with the emulator's Secrets Manager (which invokes it for each
 * step, like the service), printing every step on the timeline with its duration or its failure.
 */
export function registerRotationFunction(
  stage: Stage,
  timeline: Timeline,
  label: string,
  arn: string,
  handler: RotationFunction,
): void {
  stage.emulator.registerRotationLambda(arn, async (event) => {
    const t = performance.now();
    const step = `${label.padEnd(17)} ${event.Step.padEnd(12)} v=${event.ClientRequestToken.slice(0, 8)}`;
    try {
      await handler(event as never);
      timeline.event(`${step}  ${Math.round(performance.now() - t)} ms`);
    } catch (error) {
      timeline.event(`${step}  FAILED: ${(error as Error).message}`);
      throw error;
    }
  });
}

/** `4 step calls`, or `5 step calls, 1 retries`: how a rotation's steps went. */
export function describeAttempts(steps: readonly StepInvocation[]): string {
  const retries = steps.filter((s) => s.attempt > 1).length;
  return `${steps.length} step calls${retries > 0 ? `, ${retries} retries` : ''}`;
}
