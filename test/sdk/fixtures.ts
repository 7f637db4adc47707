/** Files and a server for the SDK tests: Intake behind a FaultProxy, a tenant, text files of any size. */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, startIntake, type TestIntake } from '../helpers/intake.js';
import { FaultProxy } from './fault-proxy.js';

export const MiB = 1024 * 1024;

export interface SdkFixture {
  intake: TestIntake;
  proxy: FaultProxy;
  key: string;
  dir: string;
  close(): Promise<void>;
}

/** Intake with its signed URLs (and the SDK's calls) going through a FaultProxy. */
export async function sdkFixture(env: Record<string, string> = {}): Promise<SdkFixture> {
  const proxyPort = await freePort();
  const intake = await startIntake({ INTAKE_PUBLIC_URL: `http://127.0.0.1:${proxyPort}`, ...env });
  const proxy = new FaultProxy(proxyPort, Number(new URL(intake.url).port));
  await proxy.start();
  const { key } = await intake.tenant();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-sdk-'));
  return {
    intake,
    proxy,
    key,
    dir,
    async close() {
      await proxy.stop();
      await intake.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** A text file of `size` bytes (lines of random hex: valid UTF-8, so Intake verifies it as text/plain); answers its path and SHA-256. */
export async function textFile(dir: string, name: string, size: number): Promise<{ file: string; sha256: string; bytes: Buffer }> {
  const line = (n: number) => randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n - 1) + '\n';
  const chunks: string[] = [];
  for (let left = size; left > 0; left -= 4096) chunks.push(left >= 4096 ? line(4096) : line(left));
  const bytes = Buffer.from(chunks.join(''));
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  return { file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
}
