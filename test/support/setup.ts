import { captureProcessOutput } from './log-scan';

captureProcessOutput();
