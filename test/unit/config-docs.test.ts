import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG } from '../../src/config/config.js';
import { configHelp, configMarkdown, withConfigTable } from '../../src/config/docs.js';
import { variablesOf } from '../../src/config/settings.js';
import { CLI } from '../helpers/entry.js';

const variables = variablesOf(CONFIG.docs);

describe('configuration documentation', () => {
  it('the table documents every variable once, each with what it accepts and what it does', () => {
    const names = variables.map((v) => v.env);
    assert.equal(new Set(names).size, names.length, `duplicated: ${names.filter((n, i) => names.indexOf(n) !== i).join(', ')}`);
    assert.ok(names.length >= 45, `${names.length} variables`);
    for (const v of variables) {
      assert.match(v.env, /^(INTAKE_[A-Z0-9_]+|MAX_UPLOAD_SIZE_MB)$/);
      assert.ok(v.accepts && v.doc, `${v.env} documented`);
      assert.ok(!v.doc.includes('\n') && !v.accepts.includes('\n') && !v.default.includes('\n'), `${v.env}: one line`);
    }
  });

  it('README.md holds the table as generated (run `npx tsx scripts/config-docs.ts` after changing src/config/config.ts)', () => {
    const readme = fs.readFileSync(path.resolve('README.md'), 'utf8');
    assert.equal(withConfigTable(readme), readme, 'README.md: the configuration table is out of date; run npx tsx scripts/config-docs.ts');
    const markdown = configMarkdown();
    for (const v of variables) assert.ok(markdown.includes(`| \`${v.env}\` |`), `${v.env} has a row`);
  });

  it('withConfigTable replaces only what is between the markers, and refuses a README without them', () => {
    const doc = 'intro\n<!-- config-table:start -->\nold table\n<!-- config-table:end -->\noutro\n';
    const out = withConfigTable(doc);
    assert.ok(out.startsWith('intro\n<!-- config-table:start -->\n'));
    assert.ok(out.endsWith('\n<!-- config-table:end -->\noutro\n'));
    assert.ok(!out.includes('old table'));
    assert.ok(out.includes('| `INTAKE_PORT` | integer 0–65535 | `3000` | port to listen on |'));
    assert.equal(withConfigTable(out), out);
    assert.throws(() => withConfigTable('no markers'), /config-table/);
  });

  it('`intake serve --help` lists every variable with its default, as plain text', () => {
    const help = configHelp();
    for (const v of variables) assert.match(help, new RegExp(`^    ${v.env}  `, 'm'));
    assert.match(help, /^ {4}INTAKE_PORT {2}integer 0–65535; default: 3000\n {8}port to listen on$/m);
    assert.match(help, /INTAKE_TRUST_PROXY {2}boolean; default: false/);
    assert.doesNotMatch(help, /`|\]\(/, 'no Markdown');
    const res = spawnSync(process.execPath, [...CLI, 'serve', '--help'], { encoding: 'utf8', env: { ...process.env, INTAKE_PORT: 'not read by --help' } });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /Usage: intake serve/);
    assert.ok(res.stdout.includes(help), 'serve --help ends with the variables');
  });
});
