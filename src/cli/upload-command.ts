/**
 * `intake upload FILE…`: each file through the SDK's `upload()` (resumable parts in
 * parallel, retried, the session kept in a state file), with a progress bar or lines.
 * Ctrl-C pauses — the sessions stay open and the state file remembers them — so running
 * the same command again sends only the parts storage has not acknowledged.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { defaultStateFile, intakeBackend, uploadFile, type UploadResult } from '../../clients/sdk/src/node.js';
import { clientAction, clientCommand, nonNegativeInt, positiveInt, type ClientContext } from './client-context.js';
import { CliError, describeError, EXIT, exitCodeOf, type ExitCode } from './exit-codes.js';
import { printJson } from './output.js';
import { progressView, type ProgressStyle, type ProgressView } from './progress.js';
import type { Exit } from './program.js';

const MiB = 1024 * 1024;
/** Intake's default part size: a file larger than one part is sent in parts, so Ctrl-C loses at most the parts in flight. */
const DEFAULT_PART_SIZE = 16 * MiB;

interface UploadOptions {
  folder?: string;
  alias?: string;
  title?: string;
  type?: string;
  wait?: boolean;
  parallel?: number;
  partSize?: number;
  sha256?: boolean;
  retries: number;
  resume: boolean;
  quiet?: boolean;
  progress: ProgressStyle;
  stateFile: string;
  fromUrl?: string;
}

/** Every file's size, before anything is sent: a missing one stops the command with nothing started. */
async function checkFiles(files: string[]): Promise<number[]> {
  const sizes: number[] = [];
  for (const file of files) {
    const stat = await fs.stat(file).catch(() => null);
    if (!stat) throw new CliError(`no such file: ${file}`, EXIT.notFound);
    if (!stat.isFile()) throw new CliError(`not a file: ${file}`, EXIT.usage);
    sizes.push(stat.size);
  }
  return sizes;
}

/** What one file ended as, for --json and the summary line. */
function summary(file: string, result: UploadResult): Record<string, unknown> {
  const asset = 'asset' in result ? result.asset : null;
  return {
    file,
    outcome: result.outcome,
    upload_id: 'uploadId' in result ? result.uploadId : null,
    asset_id: result.assetId,
    resumed: result.outcome === 'uploaded' ? result.resumed : false,
    status: asset && typeof asset === 'object' && 'status' in asset ? asset.status : null,
    asset,
  };
}

async function uploadOne(ctx: ClientContext, file: string, size: number, opts: UploadOptions, view: ProgressView, pause: AbortSignal): Promise<Record<string, unknown>> {
  const progress = view.file(path.basename(file), size);
  try {
    const result = await uploadFile(file, {
      backend: intakeBackend({ baseUrl: ctx.baseUrl, apiKey: ctx.apiKey }),
      contentType: opts.type,
      fields: { folder: opts.folder, alias: opts.alias, title: opts.title },
      parallel: opts.parallel,
      partSize: opts.partSize === undefined ? undefined : opts.partSize * MiB,
      resumableThreshold: opts.partSize === undefined ? DEFAULT_PART_SIZE : opts.partSize * MiB,
      sha256: opts.sha256 === true,
      retry: { retries: opts.retries },
      resume: opts.resume,
      stateFile: opts.stateFile,
      pauseSignal: pause,
      waitForReady: opts.wait === true,
      onProgress: (p) => progress.update(p.bytesUploaded, p.bytesAcknowledged),
    });
    const line = summary(file, result);
    progress.done(result.outcome === 'uploaded' ? String(line.status ?? 'uploaded') : result.outcome);
    return line;
  } catch (err) {
    progress.fail(exitCodeOf(err) === EXIT.interrupted ? 'paused' : 'failed'); // the reason follows, after the bars
    throw err;
  }
}

/** The files one after another; after Ctrl-C, a refused key or an unreachable server, the rest are not started. */
async function sendFiles(ctx: ClientContext, files: string[], sizes: number[], opts: UploadOptions, view: ProgressView, pause: AbortSignal) {
  let worst: ExitCode = EXIT.ok;
  const done: Record<string, unknown>[] = [];
  for (const [i, file] of files.entries()) {
    if (pause.aborted) return { done, worst: EXIT.interrupted };
    try {
      done.push(await uploadOne(ctx, file, sizes[i]!, opts, view, pause));
    } catch (err) {
      const code = exitCodeOf(err);
      if (code === EXIT.interrupted) {
        done.push({ file, outcome: 'paused', upload_id: (err as { uploadId?: string | null }).uploadId ?? null });
        return { done, worst: code };
      }
      if (worst === EXIT.ok) worst = code;
      done.push({ file, outcome: 'failed', error: { code: (err as { code?: string }).code ?? null, message: describeError(err, ctx.baseUrl) } });
      if (code === EXIT.auth || code === EXIT.unreachable) break;
    }
  }
  return { done, worst };
}

function report(ctx: ClientContext, done: Record<string, unknown>[], worst: ExitCode): void {
  for (const line of done) {
    if (ctx.json) printJson(line);
    else if (line.outcome === 'paused') continue;
    else if (line.outcome !== 'failed') process.stdout.write(`${String(line.file)}: ${[line.outcome, line.asset_id, line.status].filter(Boolean).join(' ')}\n`);
    else process.stderr.write(`${String(line.file)}: ${(line.error as { message: string }).message}\n`);
  }
  if (worst === EXIT.interrupted) process.stderr.write('paused: the sessions stay open; run the same command again to resume\n');
}

/** --from-url: Intake fetches the file itself; with --wait, until the upload completes or fails. */
async function importFrom(ctx: ClientContext, source: string, opts: UploadOptions): Promise<ExitCode> {
  let upload = await ctx.client.uploads.importUrl(source, { folder: opts.folder, alias: opts.alias, title: opts.title, content_type: opts.type });
  while (opts.wait && !['completed', 'failed'].includes(upload.status)) {
    await new Promise((r) => setTimeout(r, 1000));
    upload = await ctx.client.uploads.get(upload.id);
  }
  const failed = upload.status === 'failed';
  if (ctx.json) printJson({ source, outcome: failed ? 'failed' : 'imported', upload_id: upload.id, asset_id: upload.asset_id, status: upload.status, error: upload.error });
  else if (failed) process.stderr.write(`${source}: failed: ${upload.error?.message ?? 'unknown error'}\n`);
  else process.stdout.write(`${source}: ${[upload.status, upload.id, upload.asset_id].filter(Boolean).join(' ')}\n`);
  return failed ? EXIT.failure : EXIT.ok;
}

async function uploadAll(ctx: ClientContext, files: string[], opts: UploadOptions): Promise<ExitCode> {
  if (opts.fromUrl !== undefined) {
    if (files.length) throw new CliError('--from-url imports one file from a URL: give no local files with it', EXIT.usage);
    return importFrom(ctx, opts.fromUrl, opts);
  }
  if (!files.length) throw new CliError('give the files to upload (or --from-url <source>)', EXIT.usage);
  if (opts.alias && files.length > 1) throw new CliError('--alias names one asset: give it with one file', EXIT.usage);
  const sizes = await checkFiles(files);
  const pause = new AbortController();
  const onSigint = () => {
    if (pause.signal.aborted) process.exit(EXIT.interrupted); // a second Ctrl-C does not wait for the pause
    pause.abort();
  };
  process.on('SIGINT', onSigint);
  const view = progressView(process.stderr, { quiet: opts.quiet === true, names: files.map((f) => path.basename(f)), style: opts.progress });
  let sent: Awaited<ReturnType<typeof sendFiles>>;
  try {
    sent = await sendFiles(ctx, files, sizes, opts, view, pause.signal);
  } finally {
    view.stop();
    process.off('SIGINT', onSigint);
  }
  report(ctx, sent.done, sent.worst);
  return sent.worst;
}

export function registerUploadCommand(program: Command, env: NodeJS.ProcessEnv, exit: Exit): void {
  clientCommand(program, 'upload', 'upload files, resumably: Ctrl-C pauses, the same command again resumes')
    .argument('[file...]', 'files to upload')
    .option('--from-url <source>', 'import: Intake fetches the file from this http(s) URL (no local file)')
    .option('--folder <folder>', 'folder of the new assets (e.g. root/photos)')
    .option('--alias <alias>', 'alias of the new asset (one file only)')
    .option('--title <title>', 'title of the new assets')
    .option('--type <mime>', 'content type, when the file name does not tell it')
    .option('--wait', 'wait until each asset is ready (videos and audio are processed after upload)')
    .option('--parallel <n>', 'parts in flight at once per file', positiveInt(32), 4)
    .option('--part-size <mib>', 'part size in MiB (5 or more; default 16): larger files are sent in parts', positiveInt(5120, 5))
    .option('--sha256', 'hash each file first: content the namespace already holds is not sent again')
    .option('--retries <n>', 'retries of each request on network errors and 5xx, with backoff', nonNegativeInt, 5)
    .option('--no-resume', 'start new sessions instead of resuming paused ones')
    .option('-q, --quiet', 'no progress output')
    .addOption(new Option('--progress <style>', 'progress on stderr: auto (a bar on a terminal, else lines), lines, or json (a line per change)').choices(['auto', 'lines', 'json']).default('auto'))
    .addOption(new Option('--state-file <path>', 'where paused sessions are remembered').env('INTAKE_STATE_FILE').default(defaultStateFile(env)))
    .addHelpText('after', `
Progress goes to stderr and moves with the bytes the socket takes: a bar per file on a
terminal, otherwise a line per file at most every second ("NAME: SENT/SIZE bytes (PCT%)
RATE ETA …") plus a start and an end line; with --progress json, one object per change:
  {"file", "bytes_sent", "bytes_acknowledged", "bytes_total", "state"}
Results go to stdout; with --json one JSON object per file:
  {"file", "outcome": "uploaded"|"duplicate"|"skipped"|"failed"|"paused", "upload_id", "asset_id", "resumed", "status", "asset"}`)
    .action(clientAction(exit, (ctx, files: string[], opts: UploadOptions) => uploadAll(ctx, files, opts)));
}
