/** The session's `conditions`: rules over the probed media, all (&&) or any (||) must hold. */
export type ConditionKey = 'kind' | 'mimetype' | 'filesize' | 'width' | 'height' | 'duration' | 'fps' | 'bitrate';
export type ConditionOperator = '==' | '!=' | '>' | '<' | '>=' | '<=';

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

function holds(rule: ConditionRule, facts: Facts): boolean {
  const actual = facts[rule.key];
  if (actual === null) return false;
  const a = typeof rule.value === 'number' ? Number(actual) : String(actual);
  const b = rule.value;
  switch (rule.operator) {
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

/** The rules that failed; empty when the conditions are met. */
export function failedRules(conditions: Conditions | null, facts: Facts): ConditionRule[] {
  if (!conditions || conditions.rules.length === 0) return [];
  const failed = conditions.rules.filter((r) => !holds(r, facts));
  if (conditions.operator === '||') return failed.length === conditions.rules.length ? failed : [];
  return failed;
}
