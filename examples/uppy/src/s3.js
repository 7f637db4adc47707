import Uppy from '@uppy/core';
import AwsS3 from '@uppy/aws-s3';
import { intakeAwsS3Options } from './intake-uppy.js';
import './style.css';

const uppy = new Uppy({ autoProceed: true });
uppy.use(AwsS3, intakeAwsS3Options(uppy, { endpoint: '/uppy' }));

const input = document.querySelector('#files');
const list = document.querySelector('#uploads');
const rows = new Map();

function row(file) {
  let li = rows.get(file.id);
  if (!li) {
    li = document.createElement('li');
    li.dataset.name = file.name;
    li.innerHTML = '<span class="name"></span> <progress max="100" value="0"></progress> <span class="status">waiting</span>';
    li.querySelector('.name').textContent = file.name;
    list.append(li);
    rows.set(file.id, li);
  }
  return li;
}

input.addEventListener('change', () => {
  for (const data of input.files) uppy.addFile({ name: data.name, type: data.type, data, source: 'file input' });
  input.value = '';
});
uppy.on('file-added', (file) => row(file));
uppy.on('upload-progress', (file, progress) => {
  const li = row(file);
  const pct = progress.bytesTotal ? Math.floor((progress.bytesUploaded / progress.bytesTotal) * 100) : 0;
  li.querySelector('progress').value = pct;
  li.querySelector('.status').textContent = `${pct}%`;
});
uppy.on('upload-success', async (file, response) => {
  const li = row(file);
  li.querySelector('progress').value = 100;
  const asset = await (await fetch(response.body.location)).json();
  li.dataset.status = 'uploaded';
  li.dataset.assetId = asset.id;
  const link = document.createElement('a');
  link.href = asset.url;
  link.textContent = `${asset.id} (${asset.status})`;
  li.querySelector('.status').replaceChildren(link);
});
uppy.on('upload-error', (file, error) => {
  const li = row(file);
  li.dataset.status = 'failed';
  li.querySelector('.status').textContent = `failed: ${error.message}`;
});
