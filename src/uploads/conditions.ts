/** The session's `conditions`: rules over the probed media, all (&&) or any (||) must hold. */
import { invalid } from '../lib/errors.js';

/** The keys and operators a rule may use: the request schema is built from these tuples. */
export const CONDITION_KEYS = ['kind', 'mimetype', 'filesize', 'width', 'height', 'duration', 'fps', 'bitrate'] as const;
export const CONDITION_OPERATORS = ['==', '!=', '>', '<', '>=', '<='] as const;
export type ConditionKey = (typeof CONDITION_KEYS)[number];
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

export interface ConditionRule {
  key: ConditionKey;
  operator: ConditionOperator;
  value: string | number;
}

export interface Conditions {
  operator: '&&' | '||';
  rules: ConditionRule[];
}

export type Facts = Record<ConditionKey, string | number | null>;

/** Keys whose facts are numbers: compared as numbers, and only with number values. */
const NUMERIC_KEYS: ReadonlySet<ConditionKey> = new Set(['filesize', 'width', 'height', 'duration', 'fps', 'bitrate']);

/**
 * Refuses rules that could only be compared loosely: a string for a numeric key (`width <=
 * "2000"` would compare as text), a number for `kind`/`mimetype`, or an ordering of names.
 */
export function checkConditions(conditions: Conditions | undefined): Conditions | undefined {
  conditions?.rules.forEach((rule, i) => {
    const field = `conditions.rules.${i}.value`;
    if (NUMERIC_KEYS.has(rule.key)) {
      if (typeof rule.value !== 'number' || !Number.isFinite(rule.value)) throw invalid(`${rule.key} is compared with a number, not ${JSON.stringify(rule.value)}.`, field);
    } else {
      if (typeof rule.value !== 'string') throw invalid(`${rule.key} is compared with a string, not ${JSON.stringify(rule.value)}.`, field);
      if (rule.operator !== '==' && rule.operator !== '!=') throw invalid(`${rule.key} can only be compared with == or !=.`, `conditions.rules.${i}.operator`);
    }
  });
  return conditions;
}

function compare<T extends number | string>(a: T, operator: ConditionOperator, b: T): boolean {
  switch (operator) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
  }
}

function holds(rule: ConditionRule, facts: Facts): boolean {
  const actual = facts[rule.key];
  if (actual === null) return false;
  if (NUMERIC_KEYS.has(rule.key)) {
    // Sessions stored before values were checked may hold numeric strings: still numbers.
    const a = Number(actual);
    const b = Number(rule.value);
    return Number.isFinite(a) && Number.isFinite(b) && compare(a, rule.operator, b);
  }
  // Names (kind, MIME type) are case-insensitive.
  return compare(String(actual).toLowerCase(), rule.operator, String(rule.value).toLowerCase());
}

/** The rules that failed; empty when the conditions are met. */
export function failedRules(conditions: Conditions | null, facts: Facts): ConditionRule[] {
  if (!conditions || conditions.rules.length === 0) return [];
  const failed = conditions.rules.filter((r) => !holds(r, facts));
  if (conditions.operator === '||') return failed.length === conditions.rules.length ? failed : [];
  return failed;
}
