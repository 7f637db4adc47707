import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failedRules, type ConditionRule, type Facts } from '../../src/uploads/conditions.js';

const facts: Facts = { kind: 'image', mimetype: 'image/png', filesize: 5000, width: 1920, height: 1080, duration: null, fps: null, bitrate: null };
const rule = (key: ConditionRule['key'], operator: ConditionRule['operator'], value: string | number): ConditionRule => ({ key, operator, value });

describe('failedRules', () => {
  it('no conditions, or no rules, never fail', () => {
    assert.deepEqual(failedRules(null, facts), []);
    assert.deepEqual(failedRules({ operator: '&&', rules: [] }, facts), []);
    assert.deepEqual(failedRules({ operator: '||', rules: [] }, facts), []);
  });

  it('each operator on numbers, including the boundaries', () => {
    const cases: [ConditionRule['operator'], number, boolean][] = [
      ['==', 1920, true], ['==', 1919, false],
      ['!=', 1919, true], ['!=', 1920, false],
      ['>', 1919, true], ['>', 1920, false],
      ['<', 1921, true], ['<', 1920, false],
      ['>=', 1920, true], ['>=', 1921, false],
      ['<=', 1920, true], ['<=', 1919, false],
    ];
    for (const [op, value, holds] of cases) {
      const r = rule('width', op, value);
      assert.deepEqual(failedRules({ operator: '&&', rules: [r] }, facts), holds ? [] : [r], `width ${op} ${value}`);
    }
  });

  it('string rules compare as strings; numeric rules convert the fact', () => {
    const ok = [rule('mimetype', '==', 'image/png'), rule('kind', '!=', 'video'), rule('filesize', '<=', 5000)];
    assert.deepEqual(failedRules({ operator: '&&', rules: ok }, facts), []);
    const bad = rule('mimetype', '==', 'image/jpeg');
    assert.deepEqual(failedRules({ operator: '&&', rules: [bad] }, facts), [bad]);
    const asText = rule('width', '==', '1920');
    assert.deepEqual(failedRules({ operator: '&&', rules: [asText] }, facts), []);
    const numericFact = rule('filesize', '>', 999);
    assert.deepEqual(failedRules({ operator: '&&', rules: [numericFact] }, { ...facts, filesize: '5000' }), []);
  });

  it('&& fails with every rule that does not hold', () => {
    const a = rule('width', '>=', 1000);
    const b = rule('height', '>=', 2000);
    const c = rule('kind', '==', 'video');
    assert.deepEqual(failedRules({ operator: '&&', rules: [a, b, c] }, facts), [b, c]);
    assert.deepEqual(failedRules({ operator: '&&', rules: [a] }, facts), []);
  });

  it('|| passes when any rule holds and fails with all of them otherwise', () => {
    const a = rule('width', '>=', 4000);
    const b = rule('height', '>=', 1000);
    const c = rule('kind', '==', 'video');
    assert.deepEqual(failedRules({ operator: '||', rules: [a, b, c] }, facts), []);
    assert.deepEqual(failedRules({ operator: '||', rules: [a, c] }, facts), [a, c]);
  });

  it('a rule over a fact that is null fails, whatever the operator', () => {
    for (const op of ['==', '!=', '>', '<', '>=', '<='] as const) {
      const r = rule('duration', op, 10);
      assert.deepEqual(failedRules({ operator: '&&', rules: [r] }, facts), [r], `duration ${op} 10`);
      assert.deepEqual(failedRules({ operator: '||', rules: [r] }, facts), [r]);
    }
    const s = rule('mimetype', '!=', 'video/mp4');
    assert.deepEqual(failedRules({ operator: '&&', rules: [s] }, { ...facts, mimetype: null }), [s]);
  });
});
