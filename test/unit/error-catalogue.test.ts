/**
 * The error catalogue (src/lib/errors.ts) is closed: every reason belongs to a code with a
 * status, an error's reason must be one of its code's (checked by the compiler: the
 * `@ts-expect-error` lines below fail `tsc` the day they compile), and every code a row
 * can store answers as a 4xx error, never a 500.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UploadsTable } from '../../src/db/schema.js';
import { STATUS } from '../../src/http/error-handler.js';
import {
  ERROR_CODES,
  IntakeError,
  REASONS,
  STORED_ONLY_CODES,
  conflict,
  invalid,
  isErrorCode,
  storedError,
  withReason,
  type Reason,
  type StoredErrorCode,
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

  it('a stored ErrorCode answers as itself, with its stored details', () => {
    for (const code of ERROR_CODES) {
      const err = storedError(code, 'It failed.', { field: 'file', expected: 3 });
      assert.deepEqual([err.code, err.message, err.details], [code, 'It failed.', { field: 'file', expected: 3 }]);
    }
    assert.deepEqual(storedError('verification_failed', 'x', { reason: 'missing' }).details, { reason: 'missing' });
    assert.equal(storedError(null, 'It failed.').code, 'verification_failed');
  });

  it('a code only rows store answers as its reason’s 4xx, with details.status "failed"', () => {
    const storedOnly = Object.keys(STORED_ONLY_CODES) as Array<keyof typeof STORED_ONLY_CODES>;
    assert.deepEqual(storedOnly, ['processing_failed']);
    for (const code of storedOnly) {
      assert.equal(isErrorCode(code), false, `${code} is not a request error code`);
      const reason = STORED_ONLY_CODES[code];
      const err = storedError(code, 'The video could not be decoded.');
      assert.deepEqual([err.code, err.message, err.details], [REASONS[reason], 'The video could not be decoded.', { reason, status: 'failed' }]);
      const status = STATUS[err.code];
      assert.ok(status >= 400 && status < 500, `${code} answers ${status}`);
    }
    assert.equal(STATUS[storedError('processing_failed', 'x').code], 409);
  });

  it('a code this version does not know (written by another) is a 409, not a 500', () => {
    const err = storedError('written_by_a_newer_version' as StoredErrorCode, 'It failed.');
    assert.deepEqual([err.code, STATUS[err.code], err.details], ['conflict', 409, { status: 'failed' }]);
  });
});

/** Never run: what the compiler must refuse. Each line fails `tsc` if it compiles. */
export function refusedByTheCompiler(): unknown[] {
  const row: Pick<UploadsTable, 'error_code'> = { error_code: 'processing_failed' };
  return [
    row,
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
    // @ts-expect-error a code not known to the catalogue cannot be raised
    new IntakeError('processing_failed', 'x'),
    // @ts-expect-error nor stored on a row
    { error_code: 'processing_faild' } satisfies Pick<UploadsTable, 'error_code'>,
  ];
}
