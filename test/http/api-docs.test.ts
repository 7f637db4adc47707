/**
 * docs/API.md is the project's own API reference: every route in /openapi.json, every
 * error code with its status, every `details.reason` of the catalogue and every code a
 * row can store must be in it (Fastify checks its error catalogue against its docs the
 * same way). That the code raises only catalogued reasons is the compiler's job: see
 * test/unit/error-catalogue.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { STATUS } from '../../src/http/error-handler.js';
import { ERROR_CODES, REASONS, STORED_ONLY_CODES, storedError } from '../../src/lib/errors.js';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { repoRoot } from '../helpers/entry.js';

const root = repoRoot;
let t: TestIntake;
let docs: string;

before(async () => {
  t = await startIntake();
  docs = await fs.readFile(path.join(root, 'docs/API.md'), 'utf8');
});
after(() => t.close());

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('docs/API.md', () => {
  it('documents every route of the OpenAPI document as "METHOD /path"', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    assert.ok(routes.length > 20, `only ${routes.length} routes in /openapi.json`);
    const missing = routes.filter((r) => !new RegExp(`${escape(r)}(?![A-Za-z0-9_/{}-])`).test(docs));
    assert.deepEqual(missing, [], 'routes in /openapi.json but not in docs/API.md');
  });

  it('lists every error code with its HTTP status', () => {
    for (const code of ERROR_CODES) {
      assert.match(docs, new RegExp(`\\| ${STATUS[code]} \\| \`${code}\` \\|`), `${code} (${STATUS[code]}) is not in the error table`);
    }
  });

  it('lists every details.reason of the catalogue with its code, and no other', () => {
    const documented = [...docs.matchAll(/^\| `([a-z_]+)` \| `([a-z_]+)` \|/gm)].map((m) => [m[1]!, m[2]!] as const);
    assert.deepEqual(
      Object.fromEntries(documented.filter(([, code]) => (ERROR_CODES as readonly string[]).includes(code))),
      { ...REASONS },
    );
  });

  it('documents every code only a row stores as an error.code, and the reason complete answers it with', () => {
    for (const code of Object.keys(STORED_ONLY_CODES) as Array<keyof typeof STORED_ONLY_CODES>) {
      assert.match(docs, new RegExp(`\`error\\.code: "${code}"\``), `${code} is not documented as an error.code`);
      const answered = storedError(code, 'x');
      assert.match(docs, new RegExp(`^\\| \`${answered.details.reason}\` \\| \`${answered.code}\` \\|`, 'm'), `complete's answer to ${code} is not in the reason table`);
    }
  });

  it('README links to docs/API.md and to nothing outside the repository', async () => {
    const readme = await fs.readFile(path.join(root, 'README.md'), 'utf8');
    assert.match(readme, /\(docs\/API\.md\)/);
    assert.doesNotMatch(readme, /\.\.\/shared/);
    for (const file of await fs.readdir(path.join(root, 'docs'))) {
      assert.doesNotMatch(await fs.readFile(path.join(root, 'docs', file), 'utf8'), /\.\.\/shared|shared\/API\.md/, `docs/${file} points outside the repository`);
    }
  });
});
