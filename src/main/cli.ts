#!/usr/bin/env node
/**
 * The `intake` binary. Server commands (serve, worker, namespace, key, sweep, reconcile)
 * load the server only when they run; client commands (upload, uploads, assets, webhooks,
 * src/cli/) are an HTTP client of a running Intake and never load it. `intake --help` and
 * `intake <command> --help` describe each; README "From the terminal" lists the exit codes.
 */
import { Command } from 'commander';
import { registerClientCommands } from '../cli/client-commands.js';
import { EXIT } from '../cli/exit-codes.js';
import { runCommandLine } from '../cli/program.js';
import { configHelp } from '../config/docs.js';
import type { ServerCommand } from './server-commands.js';

function registerServerCommands(program: Command, env: NodeJS.ProcessEnv, exit: (code: number) => void): void {
  const run = async (command: ServerCommand) => {
    const { runServerCommand } = await import('./server-commands.js');
    exit(await runServerCommand(command, env));
  };
  const json = (o: { json?: boolean }) => o.json === true;
  program.command('serve').description('start the API and, unless INTAKE_WORKERS=0, a job worker (configured by INTAKE_* variables)')
    .addHelpText('after', () => configHelp())
    .action(() => run({ cmd: 'serve', json: false }));
  program.command('worker').description('run job workers only, no HTTP').addHelpText('after', () => configHelp()).action(() => run({ cmd: 'worker', json: false }));
  const namespace = program.command('namespace').description('namespaces (admin, on this machine\'s configuration)');
  namespace.command('create').argument('<name>').description('create a namespace and print its first API key')
    .option('--quota-bytes <n>', 'storage quota in bytes').option('--name <key-name>', 'name of the first key', 'default').option('--json', 'print JSON')
    .action((name: string, o: { quotaBytes?: string; name?: string; json?: boolean }) => run({ cmd: 'namespace-create', name, quotaBytes: o.quotaBytes, keyName: o.name, json: json(o) }));
  const key = program.command('key').description('API keys (admin, on this machine\'s configuration)');
  key.command('create').argument('<namespace-id>').description('print a new API key for a namespace')
    .option('--name <key-name>', 'name of the key', 'default').option('--json', 'print JSON')
    .action((namespaceId: string, o: { name?: string; json?: boolean }) => run({ cmd: 'key-create', namespaceId, keyName: o.name, json: json(o) }));
  key.command('revoke').argument('<key-id>').description('revoke an API key').option('--json', 'print JSON')
    .action((keyId: string, o: { json?: boolean }) => run({ cmd: 'key-revoke', keyId, json: json(o) }));
  program.command('sweep').description('expire overdue sessions once').option('--json', 'print JSON')
    .action((o: { json?: boolean }) => run({ cmd: 'sweep', json: json(o) }));
  program.command('reconcile').description('remove stored objects nothing references').option('--json', 'print JSON')
    .action((o: { json?: boolean }) => run({ cmd: 'reconcile', json: json(o) }));
}

runCommandLine(process.argv.slice(2), (program, exit) => {
  registerClientCommands(program, process.env, exit);
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
