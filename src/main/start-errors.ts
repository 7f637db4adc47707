/**
 * Why a process could not start because something it depends on did not answer: a
 * one-line message and its own exit code (3), distinct from a bad configuration (2), so a
 * supervisor can tell "fix the config" from "wait for the database and retry".
 */

/** `intake serve`, `worker` and the one-shot commands end with this when a dependency is unreachable at start. */
export const EXIT_DEPENDENCY_UNREACHABLE = 3;

export class DependencyUnreachableError extends Error {
  constructor(
    readonly dependency: string,
    message: string,
  ) {
    super(message);
    this.name = 'DependencyUnreachableError';
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE']);

/**
 * The reason a connection attempt failed, when it is one (a network error, a timeout, or
 * PostgreSQL's refusal to connect: class 08 connection exceptions, 28 authentication,
 * 3D000 no such database, 57P03 starting up); null for any other error.
 */
export function connectFailure(err: unknown): string | null {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown[] } | undefined, depth = 0; e && depth < 5; depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (NETWORK_CODES.has(code)) return code;
    if (/^(08|28)/.test(code) || code === '3D000' || code === '57P03') return `${code}: ${String(e.message)}`;
    if (typeof e.message === 'string' && /timeout expired|Connection terminated/i.test(e.message)) return e.message;
    // AggregateError (a host with several addresses): its first error says why.
    e = (Array.isArray(e.errors) && e.errors.length > 0 ? e.errors[0] : e.cause) as typeof e;
  }
  return null;
}

/** A URL fit for a log or an error message: no password. */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}
