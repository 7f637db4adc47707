/**
 * Uppy's @uppy/aws-s3 (v6) against Intake: the options to pass to `uppy.use(AwsS3, …)`.
 *
 * Uppy 6 signs every S3 request through one `signRequest` function. Here the part uploads
 * go straight to Intake's signed part URLs (local disk or the S3 bucket behind Intake);
 * the other requests (create, list parts, complete, abort) go to your app's server, which
 * answers them the way S3 would, by calling Intake with its API key (server.ts,
 * `uppyRoutes`). The browser never sees the key.
 */
const MiB = 1024 * 1024;

/**
 * Uppy's chunk size, which must equal the part size of the Intake session: at least 5 MiB
 * (S3's minimum part), raised to the smallest whole MiB that keeps a file in 10,000 parts —
 * the rule Intake applies to `part_size`, so both sides cut the file at the same offsets.
 */
export function partSizeFor(size) {
  return Math.max(5 * MiB, Math.ceil(size / 10_000 / MiB) * MiB);
}

async function postJson(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error?.message ?? `${url} answered ${res.status}`);
  return answer;
}

/**
 * @param {import('@uppy/core').Uppy} uppy
 * @param {{ endpoint?: string, limit?: number }} [options] `endpoint`: where your server mounts `uppyRoutes` (default `/uppy`).
 */
export function intakeAwsS3Options(uppy, { endpoint = '/uppy', limit = 4 } = {}) {
  const s3 = `${endpoint}/s3/uploads`;
  return {
    limit,
    // Every file goes through an Intake resumable session: a small file is one short part.
    shouldUseMultipart: true,
    getChunkSize: ({ size }) => partSizeFor(size),
    // The key is Uppy's file id, so the create request below can find the file's name, type and size.
    generateObjectKey: (file) => file.id,
    async signRequest(request) {
      const { method, key, uploadId, partNumber } = request;
      const session = uploadId ? `${s3}/${encodeURIComponent(uploadId)}` : null;
      if (method === 'PUT' && session && partNumber) {
        return postJson(`${endpoint}/parts`, { upload_id: uploadId, part_number: partNumber }); // { url }: Intake's signed part URL
      }
      if (method === 'POST' && !session) {
        const file = uppy.getFile(key);
        if (!file) throw new Error(`Uppy has no file ${key}`);
        const query = new URLSearchParams({ key, filename: file.name, type: file.type || 'application/octet-stream', size: String(file.size), part_size: String(partSizeFor(file.size)) });
        return { url: `${s3}?${query}` };
      }
      if (method === 'POST' && session) return { url: `${session}/complete?${new URLSearchParams({ key })}` };
      if (method === 'GET' && session) return { url: `${session}/parts` };
      if (method === 'DELETE' && session) return { url: session };
      throw new Error(`Intake takes no ${method} without a session (empty files cannot be uploaded)`);
    },
  };
}
