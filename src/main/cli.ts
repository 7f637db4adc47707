#!/usr/bin/env node
/**
 * intake serve                          start the API (embedded default unless configured) and, unless INTAKE_WORKERS=0, a job worker
 * intake worker                         run job workers only (no HTTP)
 * intake namespace create NAME [--quota-bytes N]   create a namespace and print its first API key
 * intake key create NAMESPACE_ID [--name NAME]     print a new API key for a namespace
 * intake key revoke KEY_ID
 * intake sweep                          expire overdue sessions once
 * intake reconcile                      remove stored objects nothing references
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { createIntake } from './container.js';

const USAGE = `usage:
  intake serve
  intake worker
  intake namespace create NAME [--quota-bytes N]
  intake key create NAMESPACE_ID [--name NAME]
  intake key revoke KEY_ID
  intake sweep
  intake reconcile`;

async function serve(config: Config): Promise<void> {
  const intake = await createIntake(config);
  await intake.startBackground();
  if (config.workers) intake.startWorkers();
  try {
    await intake.app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await intake.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`Port ${config.port} on ${config.host} is already in use: stop what holds it, or set INTAKE_PORT.\n`);
      process.exit(1);
    }
    throw err;
  }
  const address = intake.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  process.stdout.write(`Intake listening on http://${config.host}:${port} (public URL ${config.publicUrl})\n`);
  if (intake.adminKey.created) process.stdout.write(`Generated an admin key in ${intake.adminKey.path}\n`);
  else if (intake.adminKey.path) process.stdout.write(`Admin key: ${intake.adminKey.path}\n`);
  stopOnSignals(intake);
}

/** Workers only: the same use cases, driven by jobs; SIGTERM lets running jobs finish. */
async function worker(config: Config): Promise<void> {
  const intake = await createIntake(config);
  intake.startWorkers();
  process.stdout.write(`Intake worker running (${intake.queue.backend} queue)\n`);
  stopOnSignals(intake);
}

function stopOnSignals(intake: Awaited<ReturnType<typeof createIntake>>): void {
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

async function withIntake(config: Config, fn: (intake: Awaited<ReturnType<typeof createIntake>>) => Promise<void>): Promise<void> {
  const intake = await createIntake(config, { logger: false });
  try {
    await fn(intake);
  } finally {
    await intake.close();
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'quota-bytes': { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [cmd, sub, arg] = positionals;
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
  const print = (human: string, data: unknown) => process.stdout.write(values.json ? `${JSON.stringify(data)}\n` : `${human}\n`);

  if (cmd === 'serve') {
    await serve(config);
    return -1;
  }
  if (cmd === 'worker') {
    await worker(config);
    return -1;
  }
  if (cmd === 'namespace' && sub === 'create' && arg) {
    const quota = values['quota-bytes'] === undefined ? null : Number(values['quota-bytes']);
    if (quota !== null && (!Number.isSafeInteger(quota) || quota < 1)) {
      process.stderr.write('--quota-bytes must be a positive integer, at most 9007199254740991\n');
      return 2;
    }
    await withIntake(config, async (intake) => {
      const created = await intake.namespaces.createWithKey({ name: arg, quota_bytes: quota }, values.name ?? 'default');
      print(`namespace ${created.namespace.id}\nkey ${created.key.id}\n${created.key.secret}`, created);
    });
    return 0;
  }
  if (cmd === 'key' && sub === 'create' && arg) {
    await withIntake(config, async (intake) => {
      const key = await intake.namespaces.createKey(arg, values.name ?? 'default');
      print(`key ${key.id}\n${key.secret}`, key);
    });
    return 0;
  }
  if (cmd === 'key' && sub === 'revoke' && arg) {
    await withIntake(config, async (intake) => {
      const revoked = await intake.namespaces.revokeKey(arg);
      print(`revoked ${revoked.id}`, revoked);
    });
    return 0;
  }
  if (cmd === 'reconcile') {
    await withIntake(config, async (intake) => {
      const result = await intake.reconcile();
      print(`checked ${result.checked} objects, removed ${result.removed} that nothing references`, result);
    });
    return 0;
  }
  if (cmd === 'sweep') {
    await withIntake(config, async (intake) => {
      // Refused (conflict) while another process holds the sweep lease.
      const result = await intake.sweep();
      print(`expired ${result.expired}, purged ${result.purged}, removed ${result.unattached} unattached`, result);
    });
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    const e = err as { code?: string; message?: string };
    if (e.code === 'not_found' || e.code === 'invalid_request' || e.code === 'conflict') {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
