// Uppy's Dashboard with @uppy/tus against Intake's /tus/ endpoint. Before a file is sent,
// this page asks its own server (tus-routes.ts) for the file's tus upload URL: the server
// creates the Intake session with its API key (every check runs then), and the URL carries
// a token for that one session, so the key never reaches the browser. Uppy resumes from
// that URL after a broken connection, as any tus client does.
import Uppy from '@uppy/core';
import Dashboard from '@uppy/dashboard';
import Tus from '@uppy/tus';
import '@uppy/core/css/style.min.css';
import '@uppy/dashboard/css/style.min.css';
import './style.css';

// ?chunk=<bytes> sends each file in PATCHes of that size (the default is one PATCH per file).
const chunk = Number(new URLSearchParams(location.search).get('chunk')) || undefined;

const uppy = new Uppy({ autoProceed: false });
uppy.use(Dashboard, { inline: true, target: '#dashboard', height: 360, proudlyDisplayPoweredByUppy: false });
// `endpoint` is only where a tus client would create uploads: every file here has its uploadUrl already.
uppy.use(Tus, { endpoint: '/tus/', chunkSize: chunk, retryDelays: [0, 500, 1500], removeFingerprintOnSuccess: true });

uppy.addPreProcessor(async (ids) => {
  for (const id of ids) {
    const file = uppy.getFile(id);
    if (file.tus?.uploadUrl) continue;
    const res = await fetch('/uppy/tus-uploads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filename: file.name, content_type: file.type || 'application/octet-stream', file_size: file.size }),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(body.message ?? `the server answered ${res.status}`);
    uppy.setFileState(id, { tus: { ...file.tus, uploadUrl: body.upload_url } });
  }
});

const list = document.querySelector('#uploads');
uppy.on('upload-success', async (file, response) => {
  const id = new URL(response.uploadURL).pathname.split('/').pop();
  const upload = await (await fetch(`/uppy/tus-uploads/${id}`)).json();
  const li = document.createElement('li');
  li.dataset.name = file.name;
  li.dataset.status = upload.status === 'completed' ? 'uploaded' : upload.status;
  li.dataset.assetId = upload.asset_id;
  li.textContent = `${file.name}: ${upload.asset_id} (${upload.status})`;
  list.append(li);
});
uppy.on('upload-error', (file, error) => {
  const li = document.createElement('li');
  li.dataset.name = file.name;
  li.dataset.status = 'failed';
  li.textContent = `${file.name} failed: ${error.message}`;
  list.append(li);
});
