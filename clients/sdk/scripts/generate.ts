/**
 * `npm run sdk:generate`: starts Intake in-process (SQLite and local disk in a temp folder,
 * no port), reads its /openapi.json and writes clients/sdk/src/openapi.d.ts.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../src/config/config.js';
import { createIntake } from '../../../src/main/container.js';
import { openApiTypes } from './openapi-types.js';

const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/openapi.d.ts');
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-sdk-generate-'));
try {
  const intake = await createIntake(loadConfig({ INTAKE_DATA_DIR: dataDir, INTAKE_LOG_LEVEL: 'silent', INTAKE_WORKERS: '0' }), { logger: false });
  try {
    const res = await intake.app.inject({ method: 'GET', url: '/openapi.json' });
    await fs.writeFile(target, await openApiTypes(res.json()));
    process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
  } finally {
    await intake.close();
  }
} finally {
  await fs.rm(dataDir, { recursive: true, force: true });
}
