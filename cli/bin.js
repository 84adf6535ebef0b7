#!/usr/bin/env node
// The `handover` command (package.json "bin"). A built package runs the compiled CLI; the
// repository runs the TypeScript source through tsx (a dev dependency).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
