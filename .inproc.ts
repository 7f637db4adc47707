import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startIntake } from './test/helpers/intake.js';
import { bodyFile } from './bench/put.js';
const size = 200 * 2 ** 20; const file = bodyFile(size);
const child = spawn(process.execPath, ['/tmp/tusprof/src.mjs', file], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((ok) => child.stdout!.once('data', (d) => ok(Number(String(d)))));
const t = await startIntake({ INTAKE_IMPORT_ALLOW_PRIVATE: 'true', MAX_UPLOAD_SIZE_MB: '4096' });
const { key } = await t.tenant();
const poll = Number(process.env.POLL ?? 20);
for (let i = 0; i < 3; i++) {
  const h = monitorEventLoopDelay({ resolution: 5 }); h.enable();
  const t0 = performance.now();
  const r = await t.api('POST', '/v1/uploads', { key, json: { source_url: `http://127.0.0.1:${port}/x` } });
  for (;;) {
    const u = await t.api('GET', `/v1/uploads/${r.body.data.id}`, { key });
    if (['failed', 'completed'].includes(u.body.data.status)) break;
    await new Promise((x) => setTimeout(x, poll));
  }
  h.disable();
  console.log(`import ${(performance.now() - t0).toFixed(0)} ms; loop delay p50 ${(h.percentile(50) / 1e6).toFixed(1)} p99 ${(h.percentile(99) / 1e6).toFixed(1)} max ${(h.max / 1e6).toFixed(1)} ms`);
}
await t.close(); child.kill();
