import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { openApiTypes } from '../../clients/sdk/scripts/openapi-types.js';
import { startIntake } from '../helpers/intake.js';
import { repoRoot } from '../helpers/entry.js';

const committed = path.join(repoRoot, 'clients/sdk/src/openapi.d.ts');

test("the SDK's openapi.d.ts is what the running server's /openapi.json generates (run npm run sdk:generate when this fails)", async () => {
  const intake = await startIntake();
  try {
    const res = await fetch(`${intake.url}/openapi.json`);
    assert.equal(res.status, 200);
    const generated = await openApiTypes((await res.json()) as Record<string, unknown>);
    const current = await fs.readFile(committed, 'utf8');
    if (generated !== current) {
      const a = generated.split('\n');
      const b = current.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      assert.fail(`clients/sdk/src/openapi.d.ts differs from the server's /openapi.json at line ${line + 1}:\n  server:    ${a[line]}\n  committed: ${b[line]}\nRun npm run sdk:generate.`);
    }
  } finally {
    await intake.close();
  }
});
