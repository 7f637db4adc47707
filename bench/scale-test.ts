/**
 * `npm run scale-test [-- --uploads N --concurrency C]`: the scale-out proof (bench/scale/run.ts)
 * at full size. Prints counts and timings; exits 1 on any violation or failed upload.
 */
import { parseArgs } from 'node:util';
import { runScaleTest, scaleSummary } from './scale/run.js';

const { values } = parseArgs({ options: { uploads: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '8' } } });
const result = await runScaleTest({ uploads: Number(values.uploads), concurrency: Number(values.concurrency), settleMs: 600_000 });
process.stdout.write(`\n${scaleSummary(result)}\n`);
process.exitCode = result.check.violations.length || result.stats.failed.length ? 1 : 0;
