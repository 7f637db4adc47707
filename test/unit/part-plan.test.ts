import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isResumable, MAX_PARTS, MIN_PART_SIZE, partRange, planParts } from '../../src/uploads/parts/plan.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

describe('part-size plan', () => {
  it('keeps the asked part size when 10,000 parts are enough', () => {
    assert.deepEqual(planParts(12 * MIB, 5 * MIB), { partSize: 5 * MIB, count: 3 });
    assert.deepEqual(planParts(4 * GIB, 512 * MIB), { partSize: 512 * MIB, count: 8 });
    assert.deepEqual(planParts(100), { partSize: 16 * MIB, count: 1 });
  });

  it('raises the part size to a whole MiB so a file fits in 10,000 parts', () => {
    for (const size of [50 * GIB, 100 * GIB + 1, 5 * 1024 * GIB]) {
      const plan = planParts(size, MIN_PART_SIZE);
      assert.ok(plan.count <= MAX_PARTS, `${size}: ${plan.count} parts`);
      assert.equal(plan.partSize % MIB, 0);
      assert.ok(Math.ceil(size / (plan.partSize - MIB)) > MAX_PARTS, 'the smallest whole MiB that fits');
    }
  });

  it('never plans a part under 5 MiB', () => {
    assert.equal(planParts(1000, 1).partSize, MIN_PART_SIZE);
  });

  it('gives every part its offset and size; only the last is short', () => {
    const plan = planParts(12 * MIB, 5 * MIB);
    assert.deepEqual([1, 2, 3].map((n) => partRange(12 * MIB, plan, n)), [
      { offset: 0, size: 5 * MIB },
      { offset: 5 * MIB, size: 5 * MIB },
      { offset: 10 * MIB, size: 2 * MIB },
    ]);
  });

  it('is resumable by default above 64 MiB only, unless the client says', () => {
    assert.equal(isResumable(64 * MIB, undefined), false);
    assert.equal(isResumable(64 * MIB + 1, undefined), true);
    assert.equal(isResumable(100, true), true);
    assert.equal(isResumable(GIB, false), false);
  });
});
