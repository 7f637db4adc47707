/**
 * The command line, on commander: one root program, each command registered by its module,
 * and every way commander ends (help, bad option, unknown command) turned into our exit codes.
 */
import { Command, CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';

/** Sets the exit code a command ends with (-1: keep running, e.g. `serve`). */
export type Exit = (code: number) => void;

const EXIT_CODES_HELP = `
Exit codes:
  0    ok
  1    failed: the server refused (validation, conflict, quota) or the upload failed verification
  2    usage: unknown command or option, missing argument, bad value or configuration
  3    auth: no API key, or the server refused it (401/403)
  4    not found: a local file that does not exist, or no such resource on the server (404)
  5    unreachable: no answer from the server, or it is unavailable (503); retry later
  130  interrupted (Ctrl-C): uploads are paused, not canceled; run the same command to resume

Client commands read INTAKE_URL (default http://127.0.0.1:3000) and INTAKE_API_KEY;
--url and --api-key override them. Server commands read the INTAKE_* configuration.`;

export async function runCommandLine(argv: string[], register: (program: Command, exit: Exit) => void): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('intake')
    .description('Intake, a self-hosted media upload pipeline: run the server, or upload and manage media on one')
    .exitOverride()
    .showHelpAfterError('(intake --help lists the commands; intake <command> --help describes one)')
    .addHelpText('after', EXIT_CODES_HELP);
  register(program, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // --help and --version end well; help shown because a command was missing, and every parse error, are usage errors.
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.ok : EXIT.usage;
  }
  return code;
}
