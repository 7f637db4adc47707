/**
 * The error catalogue (src/lib/errors.ts) is closed: every reason belongs to a code with a
 * status, an error's reason must be one of its code's (checked by the compiler: the
 * `@ts-expect-error` lines below fail `tsc` the day they compile).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STATUS } from '../../src/http/error-handler.js';
import {
  ERROR_CODES,
  IntakeError,
  REASONS,
  conflict,
  invalid,
  isErrorCode,
  withReason,
  type Reason,
} from '../../src/lib/errors.js';

const reasons = Object.keys(REASONS) as Reason[];

describe('error catalogue', () => {
  it('every code has an HTTP status, and every reason belongs to a code', () => {
    for (const code of ERROR_CODES) assert.ok(STATUS[code] >= 400 && STATUS[code] < 600, code);
    assert.deepEqual(Object.keys(STATUS).sort(), [...ERROR_CODES].sort());
    for (const reason of reasons) assert.ok(isErrorCode(REASONS[reason]), `${reason} → ${REASONS[reason]}`);
  });

  it('withReason() takes its code from the catalogue', () => {
    for (const reason of reasons) {
      const err = withReason(reason, 'Because.', { field: 'x' });
      assert.ok(err instanceof IntakeError);
      assert.deepEqual([err.code, err.message, err.details], [REASONS[reason], 'Because.', { field: 'x', reason }]);
    }
  });
});

/** Never run: what the compiler must refuse. Each line fails `tsc` if it compiles. */
export function refusedByTheCompiler(): unknown[] {
  return [
    // @ts-expect-error a reason that is not in the catalogue
    new IntakeError('conflict', 'x', { reason: 'verifyng' }),
    // @ts-expect-error a reason of another code (missing is verification_failed's)
    new IntakeError('conflict', 'x', { reason: 'missing' }),
    // @ts-expect-error a reason on a code that has none
    new IntakeError('not_found', 'x', { reason: 'gone' }),
    // @ts-expect-error the helpers check their code's reasons too
    conflict('x', { reason: 'busy' }),
    // @ts-expect-error invalid() is invalid_request's
    invalid('x', 'url', { reason: 'attached' }),
    // @ts-expect-error withReason() takes only a catalogued reason
    withReason('verifyng', 'x'),
    // @ts-expect-error and its extra details cannot replace it
    withReason('missing', 'x', { reason: 'busy' }),
    // @ts-expect-error a code not in the catalogue cannot be raised
    new IntakeError('processing_failed', 'x'),
  ];
}
