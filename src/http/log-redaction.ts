/**
 * What a request looks like in the logs. A signed URL's query is its credential: whoever
 * reads `?sig=…` in a log can upload or download with it until it expires. Secret query
 * parameters are replaced by `[REDACTED]`; the rest stays, for debugging.
 */
import type { FastifyRequest } from 'fastify';

/** Intake's own signature, S3's presigned-URL credentials, and the usual token names. */
const SECRET_PARAMS = new Set([
  'sig', 'signature', 'token', 'access_token', 'api_key', 'apikey', 'key',
  'x-amz-signature', 'x-amz-credential', 'x-amz-security-token', 'x-intake-signature',
]);

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      let name: string;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' ')).toLowerCase();
      } catch {
        // An undecodable name cannot be judged: hide its value too.
        return `${rawName}=[REDACTED]`;
      }
      return SECRET_PARAMS.has(name) ? `${rawName}=[REDACTED]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}

/** Fastify's own `req` serializer, with the URL redacted. */
export function redactedRequest(req: FastifyRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: redactUrl(req.url),
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
