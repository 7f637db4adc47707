/**
 * The app-server half of Uppy against Intake (the browser half is src/intake-uppy.js).
 * Uppy 6's @uppy/aws-s3 speaks S3's multipart protocol; these routes answer its create,
 * list-parts, complete and abort requests as S3 would (XML), by calling Intake with the
 * app's API key through the SDK's `intakeBackend`, and sign each part with Intake's own
 * signed part URL, to which the browser sends the bytes directly.
 *
 *   POST   {prefix}/s3/uploads?key&filename&type&size&part_size  → InitiateMultipartUploadResult
 *   POST   {prefix}/parts  {"upload_id", "part_number"}          → {"url"}
 *   GET    {prefix}/s3/uploads/{id}/parts                        → ListPartsResult
 *   POST   {prefix}/s3/uploads/{id}/complete?key                 → CompleteMultipartUploadResult
 *   DELETE {prefix}/s3/uploads/{id}                              → 204
 *   GET    {prefix}/assets/{id}                                  → the asset (JSON), for the page
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UploadBackend } from '../../clients/sdk/src/backend.js';
import { IntakeError } from '../../clients/sdk/src/errors.js';

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const tag = (name: string, value: string | number) => `<${name}>${xmlEscape(String(value))}</${name}>`;

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

function sendXml(res: ServerResponse, root: string, inner: string): void {
  send(res, 200, 'application/xml', `<?xml version="1.0" encoding="UTF-8"?><${root}>${inner}</${root}>`);
}

async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > limit) throw new IntakeError(413, { code: 'invalid_request', message: 'Body too large.' });
  }
  return text;
}

/** `(req, res) → handled?`: mount it in any Node server; `false` leaves the request to the next handler. */
export function uppyRoutes(backend: UploadBackend, prefix = '/uppy') {
  // Sessions and assets this server created: the only ones it signs, lists, completes, cancels or shows.
  // A real app keeps them per signed-in user (and checks that user on every route).
  const uploads = new Set<string>();
  const assets = new Set<string>();
  const owned = (set: Set<string>, id: string) => {
    if (!set.has(id)) throw new IntakeError(404, { code: 'not_found', message: `No ${id} here.` });
    return id;
  };

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname.slice(prefix.length);
    const q = (name: string) => url.searchParams.get(name) ?? '';
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && path === '/s3/uploads') {
      const partSize = Number(q('part_size'));
      const created = await backend.createUpload({ filename: q('filename'), content_type: q('type'), file_size: Number(q('size')), resumable: true, part_size: partSize });
      if (!('parts' in created) || !created.parts || !created.upload_id) throw new IntakeError(409, { code: 'conflict', message: 'Intake answered without a resumable session.' });
      uploads.add(created.upload_id);
      // Uppy cuts the file at its chunk size; Intake's plan must cut it at the same offsets.
      if (created.parts.part_size !== partSize) {
        await backend.cancelUpload(created.upload_id);
        throw new IntakeError(409, { code: 'conflict', message: `Intake chose parts of ${created.parts.part_size} bytes, Uppy sends ${partSize}.` });
      }
      sendXml(res, 'InitiateMultipartUploadResult', tag('Key', q('key')) + tag('UploadId', created.upload_id));
    } else if (req.method === 'POST' && path === '/parts') {
      const body = JSON.parse((await readBody(req)) || '{}') as { upload_id?: unknown; part_number?: unknown };
      const plan = await backend.signParts(owned(uploads, String(body.upload_id)), [Number(body.part_number)]);
      send(res, 200, 'application/json', JSON.stringify({ url: plan.urls[0]?.url }));
    } else if (req.method === 'GET' && (m = /^\/s3\/uploads\/([^/]+)\/parts$/.exec(path))) {
      const parts = await backend.listParts(owned(uploads, m[1]!));
      sendXml(res, 'ListPartsResult', tag('UploadId', m[1]!) + parts.map((p) => `<Part>${tag('PartNumber', p.part_number)}${tag('ETag', p.etag)}${tag('Size', p.size)}</Part>`).join(''));
    } else if (req.method === 'POST' && (m = /^\/s3\/uploads\/([^/]+)\/complete$/.exec(path))) {
      const xml = await readBody(req);
      const parts = [...xml.matchAll(/<Part><PartNumber>(\d+)<\/PartNumber><ETag>([^<]*)<\/ETag><\/Part>/g)].map((p) => ({ part_number: Number(p[1]), etag: p[2]! }));
      const done = await backend.completeUpload(owned(uploads, m[1]!), { parts });
      if (done.asset) assets.add(done.asset.id);
      const location = done.asset ? `${prefix}/assets/${done.asset.id}` : `${prefix}/uploads/${done.id}`;
      sendXml(res, 'CompleteMultipartUploadResult', tag('Location', location) + tag('Key', q('key')) + tag('ETag', done.asset?.sha256 ?? ''));
    } else if (req.method === 'DELETE' && (m = /^\/s3\/uploads\/([^/]+)$/.exec(path))) {
      await backend.cancelUpload(owned(uploads, m[1]!));
      res.writeHead(204).end();
    } else if (req.method === 'GET' && (m = /^\/assets\/([^/]+)$/.exec(path))) {
      const asset = await backend.getAsset(owned(assets, m[1]!));
      send(res, 200, 'application/json', JSON.stringify({ id: asset.id, status: asset.status, filename: asset.filename, filesize: asset.filesize, sha256: asset.sha256, url: asset.url }));
    } else {
      return false;
    }
    return true;
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://app.invalid');
    if (!url.pathname.startsWith(`${prefix}/`)) return false;
    try {
      return await route(req, res, url);
    } catch (err) {
      // S3-shaped errors, which Uppy reports with their code.
      const e = err instanceof IntakeError ? err : new IntakeError(502, { code: 'unavailable', message: 'Intake did not answer.' });
      send(res, e.status, 'application/xml', `<?xml version="1.0" encoding="UTF-8"?><Error>${tag('Code', e.code)}${tag('Message', e.message)}</Error>`);
      return true;
    }
  };
}
