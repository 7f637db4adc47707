/**
 * `intake upload FILE…`: each file through the SDK's `upload()` (resumable parts in
 * parallel, retried, the session kept in a state file), with a progress bar or lines.
 * Ctrl-C pauses — the sessions stay open and the state file remembers them — so running
 * the same command again sends only the parts storage has not acknowledged.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { intakeBackend, upload, type UploadResult } from '../../clients/sdk/src/index.js';
import { fileSource, fileStateStore } from '../../clients/sdk/src/node.js';
import { clientAction, clientCommand, positiveInt, type ClientContext } from './client-context.js';
import { CliError, describeError, EXIT, exitCodeOf, type ExitCode } from './exit-codes.js';
import { printJson } from './output.js';
import { progressView, type ProgressView } from './progress.js';
import type { Exit } from './program.js';

interface UploadOptions {
  folder?: string;
  alias?: string;
  title?: string;
  type?: string;
  wait?: boolean;
  parallel?: number;
  partSize?: number;
  resume: boolean;
  quiet?: boolean;
  stateFile: string;
}

/** Where paused sessions are remembered: $XDG_STATE_HOME/intake, else ~/.local/state/intake. */
function defaultStateFile(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'intake', 'uploads.json');
}

async function checkFiles(files: string[]): Promise<void> {
  for (const file of files) {
    const stat = await fs.stat(file).catch(() => null);
    if (!stat) throw new CliError(`no such file: ${file}`, EXIT.notFound);
    if (!stat.isFile()) throw new CliError(`not a file: ${file}`, EXIT.usage);
  }
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

async function uploadOne(ctx: ClientContext, file: string, opts: UploadOptions, view: ProgressView, pause: AbortSignal): Promise<Record<string, unknown>> {
  const source = await fileSource(file);
  const progress = view.file(path.basename(file), source.size);
  try {
    const result = await upload(source, {
      backend: intakeBackend({ baseUrl: ctx.baseUrl, apiKey: ctx.apiKey }),
      contentType: opts.type,
      fields: { folder: opts.folder, alias: opts.alias, title: opts.title },
      parallel: opts.parallel,
      partSize: opts.partSize === undefined ? undefined : opts.partSize * 1024 * 1024,
      resume: opts.resume,
      stateStore: fileStateStore(opts.stateFile),
      pauseSignal: pause,
      waitForReady: opts.wait === true,
      onProgress: (p) => progress.update(p.bytesUploaded),
    });
    const line = summary(file, result);
    progress.done(result.outcome === 'uploaded' ? `${String(line.asset_id ?? line.upload_id)} ${String(line.status ?? '')}`.trim() : `${result.outcome}: ${String(line.asset_id)}`);
    return line;
  } catch (err) {
    progress.fail(exitCodeOf(err) === EXIT.interrupted ? 'paused' : describeError(err, ctx.baseUrl));
    throw err;
  }
}

async function uploadAll(ctx: ClientContext, files: string[], opts: UploadOptions): Promise<ExitCode> {
  if (opts.alias && files.length > 1) throw new CliError('--alias names one asset: give it with one file', EXIT.usage);
  await checkFiles(files);
  const pause = new AbortController();
  const onSigint = () => {
    if (pause.signal.aborted) process.exit(EXIT.interrupted); // a second Ctrl-C does not wait for the pause
    pause.abort();
  };
  process.on('SIGINT', onSigint);
  const view = progressView(process.stderr, { quiet: opts.quiet === true });
  let worst: ExitCode = EXIT.ok;
  const done: Record<string, unknown>[] = [];
  try {
    for (const file of files) {
      if (pause.signal.aborted) break;
      try {
        done.push(await uploadOne(ctx, file, opts, view, pause.signal));
      } catch (err) {
        const code = exitCodeOf(err);
        if (code === EXIT.interrupted) {
          worst = code;
          break;
        }
        if (worst === EXIT.ok) worst = code;
        done.push({ file, outcome: 'failed', error: { code: (err as { code?: string }).code ?? null, message: describeError(err, ctx.baseUrl) } });
        // Nothing else will get through a refused key or an unreachable server.
        if (code === EXIT.auth || code === EXIT.unreachable) break;
      }
    }
  } finally {
    view.stop();
    process.off('SIGINT', onSigint);
  }
  for (const line of done) {
    if (ctx.json) printJson(line);
    else if (line.outcome !== 'failed') process.stdout.write(`${String(line.file)}: ${String(line.outcome)} ${String(line.asset_id ?? '')} ${String(line.status ?? '')}\n`);
    else process.stderr.write(`${String(line.file)}: ${(line.error as { message: string }).message}\n`);
  }
  if (worst === EXIT.interrupted) process.stderr.write('paused: the sessions stay open; run the same command again to resume\n');
  return worst;
}

export function registerUploadCommand(program: Command, env: NodeJS.ProcessEnv, exit: Exit): void {
  clientCommand(program, 'upload', 'upload files, resumably: Ctrl-C pauses, the same command again resumes')
    .argument('<file...>', 'files to upload')
    .option('--folder <folder>', 'folder of the new assets (e.g. root/photos)')
    .option('--alias <alias>', 'alias of the new asset (one file only)')
    .option('--title <title>', 'title of the new assets')
    .option('--type <mime>', 'content type, when the file name does not tell it')
    .option('--wait', 'wait until each asset is ready (videos and audio are processed after upload)')
    .option('--parallel <n>', 'parts in flight at once per file', positiveInt(32), 4)
    .option('--part-size <mib>', 'part size in MiB for resumable uploads (5 or more)', positiveInt(5120))
    .option('--no-resume', 'start new sessions instead of resuming paused ones')
    .option('-q, --quiet', 'no progress output')
    .addOption(new Option('--state-file <path>', 'where paused sessions are remembered').env('INTAKE_STATE_FILE').default(defaultStateFile(env)))
    .addHelpText('after', `
Progress goes to stderr: a bar per file on a terminal, otherwise a line per file at most
every second ("NAME: SENT/SIZE bytes (PCT%) RATE ETA …") plus a start and an end line.
Results go to stdout; with --json one JSON object per file:
  {"file", "outcome": "uploaded"|"duplicate"|"skipped"|"failed", "upload_id", "asset_id", "resumed", "status", "asset"}`)
    .action(clientAction(exit, (ctx, files: string[], opts: UploadOptions) => uploadAll(ctx, files, opts)));
}
