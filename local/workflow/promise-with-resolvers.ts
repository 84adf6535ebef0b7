/**
 * aws-local-stepfunctions needs `Promise.withResolvers` (Node 22+): the emulator, which runs state
 * machines with it too, carries the polyfill; importing this module installs it.
 */
import '../emulator/promise-with-resolvers';
