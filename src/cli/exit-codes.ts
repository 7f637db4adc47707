/**
 * The exit codes scripts can rely on (README "From the terminal" lists them). One map from
 * what went wrong to a code, so every command ends the same way for the same cause.
 */
export const EXIT = {
  ok: 0,
  /** The server refused or the work failed (validation, conflict, verification, quota). */
  failure: 1,
  /** Bad command line: unknown command or option, missing argument, bad value, bad configuration. */
  usage: 2,
  /** No API key, or the server refused it (401) or its rights (403). */
  auth: 3,
  /** A local file that does not exist, or a resource the server does not have (404). */
  notFound: 4,
  /** The server cannot be reached, or answers that it is unavailable (503): retry later. */
  unreachable: 5,
  /** Ctrl-C: uploads were paused, not canceled; the same command resumes them. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports in one line and ends with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

function networkCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  }
  return undefined;
}

/** The exit code for any error a command throws: an API error by its status, a refused connection as unreachable. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof CliError) return err.exitCode;
  const e = err as { status?: unknown; code?: unknown; name?: unknown };
  if (e?.name === 'AbortError' || (e?.name === 'UploadStoppedError' && (err as { reason?: unknown }).reason === 'paused')) return EXIT.interrupted;
  if (typeof e?.status === 'number' && e.status > 0) {
    if (e.status === 401 || (e.status === 403 && e.code !== 'quota_exceeded')) return EXIT.auth;
    if (e.status === 404) return EXIT.notFound;
    if (e.status === 503 || e.status === 502 || e.status === 504) return EXIT.unreachable;
    return EXIT.failure;
  }
  if (networkCode(err) || e?.name === 'IntakeNetworkError') return EXIT.unreachable;
  return EXIT.failure;
}

/** One line saying what went wrong, with the API's error code when there is one. */
export function describeError(err: unknown, url?: string): string {
  const code = networkCode(err);
  if (code || exitCodeOf(err) === EXIT.unreachable) {
    const e = err as { status?: number; message?: string };
    if (typeof e.status === 'number' && e.status > 0) return `Intake is unavailable (${e.status}): ${e.message ?? ''}`.trim();
    return `cannot reach Intake${url ? ` at ${url}` : ''}${code ? ` (${code})` : ''}: is it running? (set INTAKE_URL or --url)`;
  }
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' && !message.includes(e.code) ? `${message} (${e.code})` : message;
}
