/**
 * aws-local-stepfunctions (the local executor of the rollout state machine) uses
 * `Promise.withResolvers`, which Node 20 lacks (Node 22+ has it). Importing this module installs
 * the same few lines as the standard's definition when it is missing; it changes nothing otherwise.
 */
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
