/** `intake uploads …`, `intake assets …`, `intake webhooks …`: the SDK's typed client, printed for people or as JSON. */
import { InvalidArgumentError, type Command } from 'commander';
import { clientAction, clientCommand, positiveInt, type ClientContext } from './client-context.js';
import { CliError, EXIT } from './exit-codes.js';
import { formatBytes, printJson, printRecord, printTable } from './output.js';
import type { Exit } from './program.js';

const UPLOAD_STATUSES = ['pending', 'uploading', 'processing', 'storing', 'completed', 'failed', 'canceled', 'expired'];
const ASSET_STATUSES = ['pending', 'processing', 'ready', 'failed'];
const KINDS = ['image', 'video', 'audio', 'document'];
export const WEBHOOK_EVENTS = ['upload.completed', 'upload.failed', 'upload.expired', 'asset.ready', 'asset.failed', 'asset.deleted'];

function oneOf(name: string, allowed: string[]) {
  return (value: string): string => {
    if (!allowed.includes(value)) throw new InvalidArgumentError(`${name} is one of ${allowed.join(', ')}`);
    return value;
  };
}

function eventList(value: string): string[] {
  const events = value.split(',').map((e) => e.trim()).filter(Boolean);
  const unknown = events.filter((e) => !WEBHOOK_EVENTS.includes(e));
  if (events.length === 0 || unknown.length) throw new InvalidArgumentError(`events are among ${WEBHOOK_EVENTS.join(', ')}`);
  return events;
}

interface ListOptions {
  limit?: number;
  cursor?: string;
}

/** A page as JSON (`{items, next_cursor}`), or a table and, when there is more, how to get it. */
function printPage<T>(ctx: ClientContext, page: { items: T[]; nextCursor: string | null }, header: string[], row: (item: T) => Array<string | number | null>): void {
  if (ctx.json) return printJson({ items: page.items, next_cursor: page.nextCursor });
  if (page.items.length === 0) process.stderr.write('nothing here\n');
  else printTable(header, page.items.map(row));
  if (page.nextCursor) process.stderr.write(`more: add --cursor ${page.nextCursor}\n`);
}

function show(ctx: ClientContext, record: Record<string, unknown>): void {
  if (ctx.json) printJson(record);
  else printRecord(record);
}

/** A command acting on one resource by id: JSON of the answer, or one line saying what happened. */
function byIdCommand<T>(exit: Exit, parent: Command, spec: { name: string; description: string; argument: string }, act: (ctx: ClientContext, id: string) => Promise<T>, say: (id: string, answer: T) => string): Command {
  return clientCommand(parent, spec.name, spec.description)
    .argument(spec.argument)
    .action(
      clientAction(exit, async (ctx, id: string) => {
        const answer = await act(ctx, id);
        if (ctx.json) printJson(answer);
        else process.stdout.write(`${say(id, answer)}\n`);
      }),
    );
}

function listOptions(command: Command): Command {
  return command.option('--limit <n>', 'at most this many (1-50)', positiveInt(50)).option('--cursor <cursor>', 'the next page, from the previous list');
}

function registerUploads(program: Command, exit: Exit): void {
  const uploads = program.command('uploads').description('upload sessions: list, show, cancel');
  listOptions(clientCommand(uploads, 'ls', 'list upload sessions, newest first'))
    .option('--status <status>', `only this status (${UPLOAD_STATUSES.join(', ')})`, oneOf('status', UPLOAD_STATUSES))
    .action(
      clientAction(exit, async (ctx, opts: ListOptions & { status?: string }) => {
        const page = await ctx.client.uploads.list({ limit: opts.limit, cursor: opts.cursor, status: opts.status as never });
        printPage(ctx, page, ['ID', 'STATUS', 'SIZE', 'ASSET', 'CREATED', 'FILENAME'], (u) => [u.id, u.status, formatBytes(u.file_size), u.asset_id, u.created_at, u.filename]);
      }),
    );
  clientCommand(uploads, 'show', 'show one upload session')
    .argument('<upload-id>')
    .action(clientAction(exit, async (ctx, id: string) => show(ctx, await ctx.client.uploads.get(id))));
  byIdCommand(exit, uploads, { name: 'cancel', description: 'cancel an open upload session (its bytes and reservation go)', argument: '<upload-id>' },
    (ctx, id) => ctx.client.uploads.cancel(id), (id, upload) => `${id} ${upload.status}`);
}

function registerAssets(program: Command, exit: Exit): void {
  const assets = program.command('assets').description('media assets: list, show, delete, delivery link');
  listOptions(clientCommand(assets, 'ls', 'list assets, newest first'))
    .option('--folder <folder>', 'only this folder (e.g. root/photos)')
    .option('--kind <kind>', `only this kind (${KINDS.join(', ')})`, oneOf('kind', KINDS))
    .option('--status <status>', `only this status (${ASSET_STATUSES.join(', ')})`, oneOf('status', ASSET_STATUSES))
    .action(
      clientAction(exit, async (ctx, opts: ListOptions & { folder?: string; kind?: string; status?: string }) => {
        const page = await ctx.client.assets.list({ limit: opts.limit, cursor: opts.cursor, folder: opts.folder, kind: opts.kind as never, status: opts.status as never });
        printPage(ctx, page, ['ID', 'STATUS', 'KIND', 'SIZE', 'FOLDER', 'ALIAS', 'FILENAME'], (a) => [a.id, a.status, a.kind, a.filesize === null ? null : formatBytes(a.filesize), a.folder, a.alias, a.filename]);
      }),
    );
  clientCommand(assets, 'show', 'show one asset with its sources')
    .argument('<asset-id>')
    .action(
      clientAction(exit, async (ctx, id: string) => {
        const asset = await ctx.client.assets.get(id);
        if (ctx.json) return printJson(asset);
        // Signed links are long and expire: `intake assets url` prints one when it is wanted.
        const { sources, url: _url, ...fields } = asset;
        printRecord(fields);
        process.stdout.write('\n');
        printTable(['SOURCE', 'TYPE', 'SIZE', 'DIMENSIONS', 'DURATION'], sources.map((s) => [
          s.label, s.mimetype, s.filesize === null ? null : formatBytes(s.filesize), s.width && s.height ? `${s.width}x${s.height}` : null, s.duration === null ? null : `${s.duration}s`,
        ]));
      }),
    );
  byIdCommand(exit, assets, { name: 'rm', description: 'delete an asset: its record, renditions and bytes', argument: '<asset-id>' },
    (ctx, id) => ctx.client.assets.delete(id), (id) => `deleted ${id}`);
  clientCommand(assets, 'url', 'print a signed delivery link (valid for an hour)')
    .argument('<asset-id>')
    .option('--source <label>', 'a rendition instead of the original (thumbnail, poster, 720p…)')
    .action(
      clientAction(exit, async (ctx, id: string, opts: { source?: string }) => {
        const asset = await ctx.client.assets.get(id);
        const source = opts.source ? asset.sources.find((s) => s.label === opts.source) : null;
        if (opts.source && !source) {
          throw new CliError(`${id} has no source "${opts.source}" (it has: ${asset.sources.map((s) => s.label).join(', ') || 'none yet'})`, EXIT.notFound);
        }
        const url = source ? source.url : asset.url;
        if (!url) throw new CliError(`${id} has no stored bytes yet (status ${asset.status})`, EXIT.failure);
        if (ctx.json) printJson({ id, label: opts.source ?? 'original', url });
        else process.stdout.write(`${url}\n`);
      }),
    );
}

function registerWebhooks(program: Command, exit: Exit): void {
  const webhooks = program.command('webhooks').description('webhook endpoints: list, add, remove');
  listOptions(clientCommand(webhooks, 'ls', 'list webhook endpoints')).action(
    clientAction(exit, async (ctx, opts: ListOptions) => {
      const page = await ctx.client.webhooks.list({ limit: opts.limit, cursor: opts.cursor });
      printPage(ctx, page, ['ID', 'ENABLED', 'EVENTS', 'URL'], (w) => [w.id, String(w.enabled), w.events.join(','), w.url]);
    }),
  );
  clientCommand(webhooks, 'add', 'add an endpoint; prints its signing secret, shown only once')
    .argument('<url>', 'where Intake POSTs events (https; private addresses are refused unless the server allows them)')
    .option('--events <list>', `comma-separated events (default: all of ${WEBHOOK_EVENTS.join(', ')})`, eventList)
    .option('--disabled', 'create it disabled')
    .action(
      clientAction(exit, async (ctx, url: string, opts: { events?: string[]; disabled?: boolean }) => {
        const created = await ctx.client.webhooks.create({ url, events: (opts.events ?? WEBHOOK_EVENTS) as never, enabled: opts.disabled !== true });
        if (ctx.json) printJson(created);
        else process.stdout.write(`webhook ${created.id}\nsecret ${created.secret}\n`);
      }),
    );
  byIdCommand(exit, webhooks, { name: 'rm', description: 'remove an endpoint', argument: '<webhook-id>' },
    (ctx, id) => ctx.client.webhooks.delete(id), (id) => `removed ${id}`);
}

function jsonOption(name: string) {
  return (value: string): unknown => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw new InvalidArgumentError(`${name} is JSON`);
    }
  };
}

function fieldList(value: string): string[] {
  const fields = value.split(',').map((f) => f.trim()).filter(Boolean);
  if (fields.length === 0) throw new InvalidArgumentError('name at least one metadata field');
  return fields;
}

function registerBuckets(program: Command, exit: Exit): void {
  const buckets = program.command('buckets').description('buckets: list, add, show, set, remove');
  listOptions(clientCommand(buckets, 'ls', 'list buckets')).action(
    clientAction(exit, async (ctx, opts: ListOptions) => {
      const page = await ctx.client.buckets.list({ limit: opts.limit, cursor: opts.cursor });
      printPage(ctx, page, ['ID', 'NAME', 'ACTIVE', 'PROPERTIES', 'UNIQUE KEY'], (b) => [b.id, b.name, String(b.active), Object.keys(b.schema?.properties ?? {}).join(',') || '-', b.unique_key?.join(',') ?? '-']);
    }),
  );
  clientCommand(buckets, 'add', 'add a bucket')
    .argument('<name>', 'unique in the namespace')
    .option('--schema <json>', 'typed properties, e.g. {"properties":{"video":{"type":"video"},"sku":{"type":"string"}}}', jsonOption('--schema'))
    .option('--unique-key <fields>', 'comma-separated metadata fields no two assets share', fieldList)
    .option('--inactive', 'create it inactive (uploads into it are refused)')
    .action(
      clientAction(exit, async (ctx, name: string, opts: { schema?: unknown; uniqueKey?: string[]; inactive?: boolean }) => {
        show(ctx, await ctx.client.buckets.create({ name, schema: opts.schema as never, unique_key: opts.uniqueKey, active: opts.inactive !== true }));
      }),
    );
  byIdCommand(exit, buckets, { name: 'show', description: 'show a bucket', argument: '<bucket-id>' }, (ctx, id) => ctx.client.buckets.get(id), (_id, b) => JSON.stringify(b, null, 2));
  clientCommand(buckets, 'set', 'rename, (de)activate or change the schema of a bucket')
    .argument('<bucket-id>')
    .option('--name <name>', 'a new name')
    .option('--active <bool>', 'true or false', oneOf('--active', ['true', 'false']))
    .option('--schema <json>', 'the new schema (null for none)', jsonOption('--schema'))
    .action(
      clientAction(exit, async (ctx, id: string, opts: { name?: string; active?: string; schema?: unknown }) => {
        if (opts.name === undefined && opts.active === undefined && opts.schema === undefined) throw new CliError('nothing to change: give --name, --active or --schema', EXIT.usage);
        show(ctx, await ctx.client.buckets.update(id, { name: opts.name, active: opts.active === undefined ? undefined : opts.active === 'true', schema: opts.schema as never }));
      }),
    );
  byIdCommand(exit, buckets, { name: 'rm', description: 'remove an empty bucket', argument: '<bucket-id>' }, (ctx, id) => ctx.client.buckets.delete(id), (id) => `removed ${id}`);
}

export function registerResourceCommands(program: Command, exit: Exit): void {
  registerUploads(program, exit);
  registerAssets(program, exit);
  registerWebhooks(program, exit);
  registerBuckets(program, exit);
}
