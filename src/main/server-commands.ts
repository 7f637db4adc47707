/**
 * The server's own commands (serve, worker, namespace, key, sweep, reconcile). Loaded by
 * cli.ts only when one of them runs, so the client commands start without the server.
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import pino from 'pino';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import type { Core } from './core.js';
import type { Maintenance } from './maintenance.js';
import { DependencyUnreachableError, EXIT_DEPENDENCY_UNREACHABLE } from './start-errors.js';

/** The server is loaded once the configuration and the arguments are known good, so a usage error answers at once. */
const loadContainer = () => import('./container.js');
const loadCore = () => import('./core.js');

/** The exit code a command ends with; -1 keeps the process running (serve, worker). */
export type ServerCommand =
  | { cmd: 'serve' | 'worker' | 'sweep' | 'reconcile'; json: boolean }
  | { cmd: 'namespace-create'; name: string; quotaBytes: string | undefined; keyName: string | undefined; json: boolean }
  | { cmd: 'namespace-ls'; json: boolean }
  | { cmd: 'key-create'; namespaceId: string; keyName: string | undefined; json: boolean }
  | { cmd: 'key-ls'; namespaceId: string; json: boolean }
  | { cmd: 'key-revoke'; keyId: string; json: boolean };

/**
 * Long-running processes let V8's old space grow to twice what survived the last full
 * collection (the default lets it grow up to four times): a server under a burst of small
 * requests otherwise holds on to garbage it could have collected for the same CPU. An
 * operator's own `--heap-growing-percent` on the command line wins.
 */
export function boundHeapGrowth(execArgv = process.execArgv): void {
  if (!execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) {
    v8.setFlagsFromString('--heap-growing-percent=100');
  }
}

/**
 * What a serving process says once it is up. Every stdout line is a JSON log line, so a
 * log shipper never meets plain text; the line is written at info even when
 * INTAKE_LOG_LEVEL is quieter, because supervisors and scripts wait for it (its `url` is
 * the first http:// URL on stdout). A person at a terminal also gets a plain line on stderr.
 */
function announce(logger: pino.Logger, fields: Record<string, unknown>, msg: string, stderr: NodeJS.WriteStream = process.stderr): void {
  logger.child({}, { level: 'info' }).info(fields, msg);
  if (stderr.isTTY) stderr.write(`${msg}\n`);
}

async function serve(config: Config): Promise<void> {
  boundHeapGrowth();
  const logger = pino({ level: config.log.level });
  const intake = await (await loadContainer()).createIntake(config, { logger });
  await intake.startBackground();
  if (config.jobs.workers) intake.startWorkers();
  let address;
  try {
    address = await intake.listen(config.http.host, config.http.port);
  } catch (err) {
    await intake.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`Port ${config.http.port} on ${config.http.host} is already in use: stop what holds it, or set INTAKE_PORT.\n`);
      process.exit(1);
    }
    throw err;
  }
  const url = `http://${config.http.host}:${address.port}`;
  announce(logger, { url, public_url: config.http.publicUrl }, `Intake listening on ${url} (public URL ${config.http.publicUrl})`);
  if (intake.adminKey.created) announce(logger, { admin_key_file: intake.adminKey.path, created: true }, `Generated an admin key in ${intake.adminKey.path}`);
  else if (intake.adminKey.path) announce(logger, { admin_key_file: intake.adminKey.path, created: false }, `Admin key: ${intake.adminKey.path}`);
  stopOnSignals(intake.app.log, config.shutdown.deadlineMs, (deadline) => intake.close(deadline));
}

/** Workers only: the same use cases, driven by jobs, with no HTTP app; SIGTERM lets running jobs finish. */
async function worker(config: Config): Promise<void> {
  boundHeapGrowth();
  const logger = pino({ level: config.log.level });
  const core = await (await loadCore()).openCore(config, { logger });
  core.startWorkers();
  announce(logger, { queue: core.queue.backend }, `Intake worker running (${core.queue.backend} queue)`);
  stopOnSignals(core.context.log, config.shutdown.deadlineMs, (deadline) => core.close(deadline));
}

/**
 * SIGTERM (a deploy, a scale-down) or SIGINT: stop taking requests and jobs, let what runs
 * finish until INTAKE_SHUTDOWN_SECONDS, hand back to the queue what has not, then exit 0.
 * Nothing is left half-claimed: a job goes back to waiting at once, a verification's lease
 * runs out within its period. Exit 1 only if closing itself fails or hangs past the deadline.
 */
function stopOnSignals(log: { info(obj: object, msg?: string): void; error(obj: object, msg?: string): void }, shutdownMs: number, close: (deadline: number) => Promise<void>): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal, deadline_seconds: shutdownMs / 1000 }, 'shutting down');
    const deadline = Date.now() + shutdownMs;
    const force = setTimeout(() => process.exit(1), shutdownMs + 5_000);
    force.unref();
    close(deadline).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** A one-shot command's refusal to run on a database that does not exist yet (exit 2). */
export class NoDatabaseError extends Error {}

/**
 * One-shot commands work on the database a server already uses: they never create one.
 * Run from the wrong folder, `./data` would otherwise become a fresh database whose keys
 * the running server has never heard of. Only a SQLite file can be missing; a PostgreSQL
 * server answers for itself.
 */
export function requireExistingDatabase(config: Config): void {
  const url = config.database.url;
  if (!url.startsWith('sqlite:')) return;
  const file = url.slice('sqlite:'.length);
  if (file === ':memory:' || fs.existsSync(file)) return;
  throw new NoDatabaseError(
    [
      `No Intake database at ${path.resolve(file)} (data folder ${path.resolve(config.storage.dataDir)}); this command does not create one.`,
      'Point it at the data folder of the server you run: --data-dir PATH or INTAKE_DATA_DIR=PATH (or INTAKE_DATABASE_URL),',
      'or manage a remote server over HTTP with its admin key (INTAKE_URL, and POST /v1/namespaces, POST /v1/keys as in docs/API.md).',
      '`intake serve` creates the data folder on its first start.',
    ].join('\n'),
  );
}

/** A one-shot command on the shared core: no HTTP app, no workers, and never a new database. */
async function withCore(config: Config, fn: (core: Core) => Promise<void>): Promise<void> {
  requireExistingDatabase(config);
  const core = await (await loadCore()).openCore(config, { logger: false });
  try {
    await fn(core);
  } finally {
    await core.close();
  }
}

/** Sweep and reconcile on demand, under the same leases as a serving process's own runs. */
async function withMaintenance(config: Config, fn: (m: Maintenance) => Promise<void>): Promise<void> {
  const [{ Maintenance }, { Background }] = await Promise.all([import('./maintenance.js'), import('../lib/background.js')]);
  await withCore(config, async (core) => {
    const background = new Background(() => undefined);
    await fn(new Maintenance(core.context, background));
    await background.drain();
  });
}

function print(json: boolean, human: string, data: unknown): void {
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human}\n`);
}

async function once(command: ServerCommand, config: Config): Promise<number> {
  switch (command.cmd) {
    case 'serve':
      await serve(config);
      return -1;
    case 'worker':
      await worker(config);
      return -1;
    case 'namespace-create': {
      const quota = command.quotaBytes === undefined ? null : Number(command.quotaBytes);
      if (quota !== null && (!Number.isSafeInteger(quota) || quota < 1)) {
        process.stderr.write('--quota-bytes must be a positive integer, at most 9007199254740991\n');
        return 2;
      }
      await withCore(config, async (core) => {
        const created = await core.namespaces.createWithKey({ name: command.name, quota_bytes: quota }, command.keyName ?? 'default');
        print(command.json, `namespace ${created.namespace.id}\nkey ${created.key.id}\n${created.key.secret}`, created);
      });
      return 0;
    }
    case 'namespace-ls':
      await withCore(config, async (core) => {
        const items = [];
        let cursor: string | undefined;
        do {
          const page = await core.namespaces.list({ limit: 100, cursor });
          items.push(...page.items.map((n) => ({ id: n.id, name: n.name, quota_bytes: n.quota_bytes, stored_bytes: n.stored_bytes, created_at: n.created_at })));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        const human = items.length === 0 ? 'no namespaces' : items.map((n) => `${n.id}\t${n.name}\t${n.created_at}`).join('\n');
        print(command.json, human, { items });
      });
      return 0;
    case 'key-ls':
      await withCore(config, async (core) => {
        // Never the secret nor its hash: what identifies a key to an admin, and whether it still works.
        const items = (await core.namespaces.listKeys(command.namespaceId)).map((k) => ({ id: k.id, name: k.name, created_at: k.created_at, revoked_at: k.revoked_at }));
        const human = items.length === 0 ? 'no keys' : items.map((k) => `${k.id}\t${k.name}\t${k.created_at}\t${k.revoked_at ? `revoked ${k.revoked_at}` : 'active'}`).join('\n');
        print(command.json, human, { items });
      });
      return 0;
    case 'key-create':
      await withCore(config, async (core) => {
        const key = await core.namespaces.createKey(command.namespaceId, command.keyName ?? 'default');
        print(command.json, `key ${key.id}\n${key.secret}`, key);
      });
      return 0;
    case 'key-revoke':
      await withCore(config, async (core) => {
        const revoked = await core.namespaces.revokeKey(command.keyId);
        print(command.json, `revoked ${revoked.id}`, revoked);
      });
      return 0;
    case 'reconcile':
      await withMaintenance(config, async (maintenance) => {
        const result = await maintenance.reconcile();
        print(command.json, `checked ${result.checked} objects, removed ${result.removed} that nothing references`, result);
      });
      return 0;
    case 'sweep':
      await withMaintenance(config, async (maintenance) => {
        // Refused (conflict) while another process holds the sweep lease.
        const result = await maintenance.sweep();
        print(command.json, `expired ${result.expired}, purged ${result.purged}, removed ${result.unattached} unattached`, result);
      });
      return 0;
  }
}

/** Runs one server command with the configuration from env: 2 for a bad configuration, 1 for a refusal, 3 for a dependency unreachable at start. */
export async function runServerCommand(command: ServerCommand, env: NodeJS.ProcessEnv): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  try {
    return await once(command, config);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof NoDatabaseError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (err instanceof DependencyUnreachableError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT_DEPENDENCY_UNREACHABLE;
    }
    const e = err as { code?: string; message?: string };
    if (e.code === 'not_found' || e.code === 'invalid_request' || e.code === 'conflict') {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw err;
  }
}
