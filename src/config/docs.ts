/**
 * The configuration table (config.ts) as documentation: Markdown for the README (between
 * its config-table markers; `npx tsx scripts/config-docs.ts` rewrites it, a test fails while it is
 * stale) and plain text for `intake serve --help`.
 */
import { CONFIG } from './config.js';
import { isSection, type DocItem, type Section, type Variable } from './settings.js';

export const README_START = '<!-- config-table:start -->';
export const README_END = '<!-- config-table:end -->';
const GENERATED = '<!-- Generated from src/config/config.ts by `npx tsx scripts/config-docs.ts`: edit the table there, then run it. -->';

/** The table's sections, in order; a nested section follows its parent's variables. */
function sections(items: readonly DocItem[] = CONFIG.docs): Section[] {
  return items.filter(isSection).flatMap((s) => [s, ...sections(s.items)]);
}

const variables = (s: Section): Variable[] => s.items.filter((i): i is Variable => !isSection(i));

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** Every setting, one Markdown table per group. */
export function configMarkdown(): string {
  return sections()
    .map((s) => {
      const rows = variables(s).map((v) => `| \`${v.env}\` | ${cell(v.accepts)} | ${cell(v.default || '—')} | ${cell(v.doc)} |`);
      return [`### ${s.title}`, '', ...(s.note ? [s.note, ''] : []), '| variable | accepts | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
    })
    .join('\n\n');
}

/** `readme` with the text between its config-table markers replaced by `configMarkdown()`. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`the README has no ${README_START} … ${README_END} markers`);
  return `${readme.slice(0, start + README_START.length)}\n${GENERATED}\n\n${configMarkdown()}\n\n${readme.slice(end)}`;
}

/** Markdown read as plain text: no backticks or emphasis, links as their text. */
function plain(s: string): string {
  return s.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1').replace(/`/g, '').replace(/\*\*/g, '');
}

/** Words wrapped to `width`, every line indented. */
function wrap(s: string, indent: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(/\s+/)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** The environment variables, for `--help`: each with what it accepts, its default and its meaning. */
export function configHelp(width = 100): string {
  const out = [
    '',
    'Environment variables (read once at start; a bad value stops Intake with every problem listed;',
    'booleans are true/false, 1/0 or yes/no):',
  ];
  for (const s of sections()) {
    out.push('', `  ${s.title}`);
    if (s.note) out.push(...wrap(plain(s.note), '    ', width));
    for (const v of variables(s)) {
      out.push(`    ${v.env}  ${plain(v.accepts)}${v.default ? `; default: ${plain(v.default)}` : ''}`);
      out.push(...wrap(plain(v.doc), '        ', width));
    }
  }
  return out.join('\n');
}
