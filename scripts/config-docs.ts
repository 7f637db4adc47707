// Rewrites the README's configuration table from the table in src/config/config.ts (between
// its config-table markers). `--check` only reports whether it is up to date (exit 1 if not);
// test/unit/config-docs.test.ts fails while it is stale.
//   npx tsx scripts/config-docs.ts [--check]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withConfigTable } from '../src/config/docs.js';

const readme = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const before = fs.readFileSync(readme, 'utf8');
const after = withConfigTable(before);
if (process.argv.includes('--check')) {
  if (after !== before) {
    process.stderr.write('README.md: the configuration table is out of date; run npx tsx scripts/config-docs.ts\n');
    process.exit(1);
  }
} else if (after !== before) {
  fs.writeFileSync(readme, after);
  process.stdout.write('README.md: configuration table rewritten\n');
} else {
  process.stdout.write('README.md: configuration table up to date\n');
}
