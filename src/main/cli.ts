#!/usr/bin/env node
/**
 * The `intake` binary. Server commands (serve, worker, namespace, key, sweep, reconcile)
 * load the server only when they run; client commands (upload, uploads, assets, webhooks,
 * src/cli/) are an HTTP client of a running Intake and never load it. `intake --help` and
 * `intake <command> --help` describe each; README "From the terminal" lists the exit codes.
 */
import { Command } from 'commander';
import { EXIT } from '../cli/exit-codes.js';
import { runCommandLine } from '../cli/program.js';
import type { ServerCommand } from './server-commands.js';

/**
 * The environment variables `serve --help` and `worker --help` list, from the config table:
 * loaded only when such help is asked for, so the client commands load nothing of the server.
 */
const argv = process.argv.slice(2);
const serverHelp =
  ['serve', 'worker'].includes(argv[0] ?? '') && argv.some((a) => a === '--help' || a === '-h') ? (await import('../config/docs.js')).configHelp() : '';

/** `--data-dir` on every server command: the same as INTAKE_DATA_DIR, and it wins over it. */
const DATA_DIR_HELP = 'the data folder (database, generated keys, local storage); overrides INTAKE_DATA_DIR';

function registerServerCommands(program: Command, env: NodeJS.ProcessEnv, exit: (code: number) => void): void {
  const run = async (command: ServerCommand, o: { dataDir?: string }) => {
    const { runServerCommand } = await import('./server-commands.js');
    exit(await runServerCommand(command, o.dataDir === undefined ? env : { ...env, INTAKE_DATA_DIR: o.dataDir }));
  };
  const json = (o: { json?: boolean }) => o.json === true;
  program.command('serve').description('start the API and, unless INTAKE_WORKERS=0, a job worker (configured by INTAKE_* variables)')
    .option('--data-dir <path>', DATA_DIR_HELP)
    .addHelpText('after', () => serverHelp)
    .action((o: { dataDir?: string }) => run({ cmd: 'serve', json: false }, o));
  program.command('worker').description('run job workers only, no HTTP').option('--data-dir <path>', DATA_DIR_HELP).addHelpText('after', () => serverHelp)
    .action((o: { dataDir?: string }) => run({ cmd: 'worker', json: false }, o));
  const admin = 'admin, on this machine\'s configuration: the data folder (--data-dir, INTAKE_DATA_DIR) or INTAKE_DATABASE_URL of a server that has started once';
  const namespace = program.command('namespace').description(`namespaces (${admin})`);
  namespace.command('create').argument('<name>').description('create a namespace and print its first API key')
    .option('--quota-bytes <n>', 'storage quota in bytes').option('--name <key-name>', 'name of the first key', 'default').option('--json', 'print JSON').option('--data-dir <path>', DATA_DIR_HELP)
    .action((name: string, o: { quotaBytes?: string; name?: string; json?: boolean; dataDir?: string }) =>
      run({ cmd: 'namespace-create', name, quotaBytes: o.quotaBytes, keyName: o.name, json: json(o) }, o));
  namespace.command('ls').description('list namespaces, newest first (id, name, quota, created)').option('--json', 'print JSON').option('--data-dir <path>', DATA_DIR_HELP)
    .action((o: { json?: boolean; dataDir?: string }) => run({ cmd: 'namespace-ls', json: json(o) }, o));
  const key = program.command('key').description(`API keys (${admin})`);
  key.command('create').argument('<namespace-id>').description('print a new API key for a namespace')
    .option('--name <key-name>', 'name of the key', 'default').option('--json', 'print JSON').option('--data-dir <path>', DATA_DIR_HELP)
    .action((namespaceId: string, o: { name?: string; json?: boolean; dataDir?: string }) => run({ cmd: 'key-create', namespaceId, keyName: o.name, json: json(o) }, o));
  key.command('ls').argument('<namespace-id>').description('list a namespace\'s keys (id, name, created, revoked; never the secret)').option('--json', 'print JSON').option('--data-dir <path>', DATA_DIR_HELP)
    .action((namespaceId: string, o: { json?: boolean; dataDir?: string }) => run({ cmd: 'key-ls', namespaceId, json: json(o) }, o));
  key.command('revoke').argument('<key-id>').description('revoke an API key').option('--json', 'print JSON').option('--data-dir <path>', DATA_DIR_HELP)
    .action((keyId: string, o: { json?: boolean; dataDir?: string }) => run({ cmd: 'key-revoke', keyId, json: json(o) }, o));
  program.command('sweep').description('expire overdue sessions once').option('--json', 'print JSON').option('--data-dir <path>', DATA_DIR_HELP)
    .action((o: { json?: boolean; dataDir?: string }) => run({ cmd: 'sweep', json: json(o) }, o));
  program.command('reconcile').description('remove stored objects nothing references').option('--json', 'print JSON').option('--data-dir <path>', DATA_DIR_HELP)
    .action((o: { json?: boolean; dataDir?: string }) => run({ cmd: 'reconcile', json: json(o) }, o));
}

/** A server command needs none of the client's modules (the SDK, progress bars): they load for the others and for `intake --help`. */
const SERVER_COMMANDS = new Set(['serve', 'worker', 'namespace', 'key', 'sweep', 'reconcile']);
const client = SERVER_COMMANDS.has(argv[0] ?? '') ? undefined : await import('../cli/client-commands.js');

runCommandLine(argv, (program, exit) => {
  client?.registerClientCommands(program, process.env, exit);
  registerServerCommands(program, process.env, exit);
}).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(EXIT.failure);
  },
);
