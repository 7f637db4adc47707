/**
 * Each compatibility suite runs twice: local disk (Intake receives the bytes) and Ceph
 * RGW (presigned PUTs go to the bucket). `stores()` gives both; the S3 one fails loudly
 * if Ceph cannot be started.
 */
import { s3Env, testBucket, type TestBucket } from '../helpers/ceph.js';
import { startIntake, type TestIntake } from '../helpers/intake.js';

export interface Store {
  name: 'local' | 's3';
  start(env?: Record<string, string>): Promise<TestIntake>;
  /** Every stored object key (files under objects/ or bucket keys). */
  objects(t: TestIntake): Promise<string[]>;
  stop(): Promise<void>;
}

export function stores(): Store[] {
  let bucket: TestBucket | undefined;
  return [
    {
      name: 'local',
      start: (env = {}) => startIntake(env),
      objects: (t) => t.storedFiles(),
      stop: async () => undefined,
    },
    {
      name: 's3',
      async start(env = {}) {
        bucket ??= await testBucket('intake-compat');
        return startIntake(s3Env(bucket, env));
      },
      async objects(t) {
        await t.settled();
        return bucket!.keys();
      },
      async stop() {
        await bucket?.drop();
        bucket = undefined;
      },
    },
  ];
}
