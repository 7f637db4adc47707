/**
 * createTestDeps(): the use cases' dependencies without HTTP — a migrated database of
 * either dialect, local-disk storage in a temp folder, the real media tools and a clock
 * tests move by hand. For tests where calling a use case directly is clearer than a request.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.js';
import type { Dialect } from '../../src/db/database.js';
import { DatabaseQueue } from '../../src/jobs/database-queue.js';
import { ImageProber } from '../../src/media/image.js';
import { MediaTypes } from '../../src/media/kinds.js';
import { createStorage } from '../../src/storage/index.js';
import type { AppContext } from '../../src/core/context.js';
import { openTestStore } from './databases.js';
import { TestClock } from './intake.js';

export interface TestDeps {
  deps: AppContext;
  clock: TestClock;
  dataDir: string;
  close(): Promise<void>;
}

export async function createTestDeps(dialect: Dialect = 'sqlite', env: Record<string, string> = {}): Promise<TestDeps> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-deps-'));
  const config = loadConfig({ INTAKE_DATA_DIR: dataDir, INTAKE_LOG_LEVEL: 'silent', ...env });
  const { store, close: closeStore } = await openTestStore(dialect);
  const { storage } = await createStorage({ dataDir, publicUrl: 'http://127.0.0.1:1', signingSecret: 'x'.repeat(32) });
  const images = new ImageProber();
  const clock = new TestClock();
  // Jobs are recorded but no worker runs them here.
  const jobs = new DatabaseQueue(store, { leaseMs: config.jobs.leaseMs, retryBaseMs: null });
  const deps: AppContext = { store, storage, types: new MediaTypes(config.uploads.allowedTypes), images, clock, config, log: pino({ level: 'silent' }), jobs };
  return {
    deps,
    clock,
    dataDir,
    async close() {
      await images.close();
      await closeStore();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
