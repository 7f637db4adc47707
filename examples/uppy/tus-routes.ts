/**
 * The app-server half of Uppy's Dashboard + @uppy/tus against Intake (the browser half is
 * src/main.js): for each file the page chooses, one Intake session with `"protocol": "tus"`,
 * created with the app's API key; the page gets its `upload_url`, a tus upload URL whose
 * token is good for that session alone, until it expires.
 *
 *   POST {prefix}/tus-uploads {"filename", "content_type", "file_size"} → {"upload_url"}
 *   GET  {prefix}/tus-uploads/{id}                                     → the upload (status, asset_id)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > limit) throw new Error('body too large');
  }
  return JSON.parse(text || '{}') as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

/** `(req, res) → handled?`, like uppyRoutes. */
export function tusRoutes(intakeUrl: string, apiKey: string, prefix = '/uppy') {
  // Sessions this server created: the only ones it shows. A real app keeps them per signed-in user.
  const uploads = new Set<string>();
  const intake = (method: string, route: string, json?: unknown) =>
    fetch(`${intakeUrl}${route}`, { method, headers: { authorization: `Bearer ${apiKey}`, ...(json ? { 'content-type': 'application/json' } : {}) }, body: json ? JSON.stringify(json) : undefined });

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://app.invalid');
    if (req.method === 'POST' && url.pathname === `${prefix}/tus-uploads`) {
      const body = await readJson(req);
      const answer = await intake('POST', '/v1/uploads', { filename: body.filename, content_type: body.content_type, file_size: body.file_size, protocol: 'tus' });
      const json = (await answer.json()) as { data: { id: string; upload_url: string } | null; error: { message: string } | null };
      if (!json.data) return send(res, answer.status, { message: json.error?.message }), true;
      uploads.add(json.data.id);
      send(res, 201, { upload_url: json.data.upload_url });
      return true;
    }
    const m = new RegExp(`^${prefix}/tus-uploads/(upl_\\w+)$`).exec(url.pathname);
    if (req.method === 'GET' && m && uploads.has(m[1]!)) {
      const answer = await intake('GET', `/v1/uploads/${m[1]}`);
      const json = (await answer.json()) as { data: unknown };
      send(res, answer.status, json.data);
      return true;
    }
    return false;
  };
}
