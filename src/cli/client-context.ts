/**
 * What every client command shares: where Intake is and the key (flags over INTAKE_URL and
 * INTAKE_API_KEY), the SDK's typed client, and one way to end — a result on stdout, or one
 * line on stderr and the exit code of what went wrong.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createIntakeClient, type IntakeClient } from '../../clients/sdk/src/client.js';
import { CliError, describeError, EXIT, exitCodeOf } from './exit-codes.js';
import type { Exit } from './program.js';

const DEFAULT_URL = 'http://127.0.0.1:3000';

export interface ClientOptions {
  url: string;
  apiKey?: string;
  json?: boolean;
}

export interface ClientContext {
  client: IntakeClient;
  baseUrl: string;
  apiKey: string;
  json: boolean;
}

/** Adds --url, --api-key and --json (each command lists them in its own --help). */
export function clientCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .addOption(new Option('--url <url>', 'Intake\'s base URL').env('INTAKE_URL').default(DEFAULT_URL))
    .addOption(new Option('--api-key <key>', 'a namespace API key (prefer the variable: a flag shows in ps)').env('INTAKE_API_KEY'))
    .option('--json', 'print JSON on stdout instead of text');
}

function contextOf(opts: ClientOptions): ClientContext {
  let baseUrl: string;
  try {
    const url = new URL(opts.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    baseUrl = url.href.replace(/\/+$/, '');
  } catch {
    throw new CliError(`--url / INTAKE_URL is not an http(s) URL: ${opts.url}`, EXIT.usage);
  }
  if (!opts.apiKey) throw new CliError('no API key: set INTAKE_API_KEY (or pass --api-key)', EXIT.auth);
  return { client: createIntakeClient({ baseUrl, apiKey: opts.apiKey }), baseUrl, apiKey: opts.apiKey, json: opts.json === true };
}

/**
 * Wraps a command's handler, called with the context, the command's arguments and its
 * options. The handler's number (default 0) is the exit code; a throw is reported on stderr.
 */
export function clientAction<A extends unknown[]>(exit: Exit, handler: (ctx: ClientContext, ...args: A) => Promise<number | void>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received[received.length - 1] as Command;
    const opts = command.opts<ClientOptions>();
    try {
      const args = received.slice(0, -1) as A; // the arguments, then the options
      exit((await handler(contextOf(opts), ...args)) ?? EXIT.ok);
    } catch (err) {
      process.stderr.write(`intake: ${describeError(err, opts.url)}\n`);
      exit(exitCodeOf(err));
    }
  };
}

/** Parses a positive integer option (commander reports a bad one as a usage error, exit 2). */
export function positiveInt(max = Number.MAX_SAFE_INTEGER, min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`an integer from ${min} to ${max}`);
    return n;
  };
}

export const nonNegativeInt = (value: string): number => positiveInt(100, 0)(value);
