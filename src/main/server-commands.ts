/**
 * The server's own commands (serve, worker, namespace, key, sweep, reconcile). Loaded by
 * cli.ts only when one of them runs, so the client commands start without the server.
 */
import v8 from 'node:v8';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import type { createIntake as CreateIntake } from './container.js';

type Intake = Awaited<ReturnType<typeof CreateIntake>>;

/** The server is loaded once the configuration and the arguments are known good, so a usage error answers at once. */
async function createIntake(...args: Parameters<typeof CreateIntake>): Promise<Intake> {
  const container = await import('./container.js');
  return container.createIntake(...args);
}

/** The exit code a command ends with; -1 keeps the process running (serve, worker). */
export type ServerCommand =
  | { cmd: 'serve' | 'worker' | 'sweep' | 'reconcile'; json: boolean }
  | { cmd: 'namespace-create'; name: string; quotaBytes: string | undefined; keyName: string | undefined; json: boolean }
  | { cmd: 'key-create'; namespaceId: string; keyName: string | undefined; json: boolean }
  | { cmd: 'key-revoke'; keyId: string; json: boolean };

/**
 * Long-running processes let V8's old space grow to twice what survived the last full
 * collection (the default lets it grow up to four times): under 5,000 sessions/s that kept
 * the API at 215 MB instead of 285 MB, for no measurable CPU (docs/BENCHMARKS.md). An
 * operator's own `--heap-growing-percent` on the command line wins.
 */
export function boundHeapGrowth(execArgv = process.execArgv): void {
  if (!execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) {
    v8.setFlagsFromString('--heap-growing-percent=100');
  }
}

async function serve(config: Config): Promise<void> {
  boundHeapGrowth();
  const intake = await createIntake(config);
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
  process.stdout.write(`Intake listening on http://${config.http.host}:${address.port} (public URL ${config.http.publicUrl})\n`);
  if (intake.adminKey.created) process.stdout.write(`Generated an admin key in ${intake.adminKey.path}\n`);
  else if (intake.adminKey.path) process.stdout.write(`Admin key: ${intake.adminKey.path}\n`);
  stopOnSignals(intake);
}

/** Workers only: the same use cases, driven by jobs; SIGTERM lets running jobs finish. */
async function worker(config: Config): Promise<void> {
  boundHeapGrowth();
  const intake = await createIntake(config);
  intake.startWorkers();
  process.stdout.write(`Intake worker running (${intake.queue.backend} queue)\n`);
  stopOnSignals(intake);
}

function stopOnSignals(intake: Intake): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    intake.app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 25_000);
    force.unref();
    intake.close().then(
      () => process.exit(0),
      (err: unknown) => {
        intake.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function withIntake(config: Config, fn: (intake: Intake) => Promise<void>): Promise<void> {
  const intake = await createIntake(config, { logger: false });
  try {
    await fn(intake);
  } finally {
    await intake.close();
  }
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
      await withIntake(config, async (intake) => {
        const created = await intake.namespaces.createWithKey({ name: command.name, quota_bytes: quota }, command.keyName ?? 'default');
        print(command.json, `namespace ${created.namespace.id}\nkey ${created.key.id}\n${created.key.secret}`, created);
      });
      return 0;
    }
    case 'key-create':
      await withIntake(config, async (intake) => {
        const key = await intake.namespaces.createKey(command.namespaceId, command.keyName ?? 'default');
        print(command.json, `key ${key.id}\n${key.secret}`, key);
      });
      return 0;
    case 'key-revoke':
      await withIntake(config, async (intake) => {
        const revoked = await intake.namespaces.revokeKey(command.keyId);
        print(command.json, `revoked ${revoked.id}`, revoked);
      });
      return 0;
    case 'reconcile':
      await withIntake(config, async (intake) => {
        const result = await intake.reconcile();
        print(command.json, `checked ${result.checked} objects, removed ${result.removed} that nothing references`, result);
      });
      return 0;
    case 'sweep':
      await withIntake(config, async (intake) => {
        // Refused (conflict) while another process holds the sweep lease.
        const result = await intake.sweep();
        print(command.json, `expired ${result.expired}, purged ${result.purged}, removed ${result.unattached} unattached`, result);
      });
      return 0;
  }
}

/** Runs one server command with the configuration from env: 2 for a bad configuration, 1 for a refusal. */
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
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    const e = err as { code?: string; message?: string };
    if (e.code === 'not_found' || e.code === 'invalid_request' || e.code === 'conflict') {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw err;
  }
}
