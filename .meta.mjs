import { build } from 'esbuild';
import { BUNDLE_ALIASES } from './infra/paths.ts';
