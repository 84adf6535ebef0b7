import { HandoverError } from '../shared/errors';
import type { RolloutErrorCode } from './contract';

/**
 * A named failure of the rollout workflow. Its `name` IS the error code (`Handover.RotationFailed`):
 * Lambda reports `name` as the error type, and the state machine's Retry / Catch match on it. The
 * message says what happened and what to do; it never holds a secret.
 */
export class RolloutError extends HandoverError {
  readonly code: RolloutErrorCode;
  constructor(code: RolloutErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = code;
    this.code = code;
  }
}

/**
 * The human part of a Step Functions error cause: a Lambda error's cause is the JSON the runtime
 * reported (`{"errorType","errorMessage","trace"}`), other causes are plain text. Bounded, so a
 * notification stays readable.
 */
export function causeMessage(cause: unknown, max = 1000): string {
  let text = typeof cause === 'string' ? cause : cause === undefined ? '' : JSON.stringify(cause);
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { errorMessage?: unknown; errorType?: unknown };
      if (typeof parsed.errorMessage === 'string') text = parsed.errorMessage;
    } catch {
      // Not JSON after all: keep the text.
    }
  }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
