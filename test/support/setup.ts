import { captureProcessOutput } from './log-scan';

captureProcessOutput();

// aws-local-stepfunctions (the workflow tests' local executor) uses Promise.withResolvers, which
// Node 20 lacks (Node 22+ has it). The same few lines as the standard's definition.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      const settle: { resolve?: (value: T) => void; reject?: (reason?: unknown) => void } = {};
      // The executor runs synchronously: both functions are set before the object is returned.
      const promise = new Promise<T>((resolve, reject) => {
        settle.resolve = resolve;
        settle.reject = reject;
      });
      return { promise, resolve: settle.resolve, reject: settle.reject };
    },
  });
}
