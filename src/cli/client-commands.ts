/** Every client command of `intake`: an HTTP client of a running Intake, never the server itself. */
import type { Command } from 'commander';
import type { Exit } from './program.js';
import { registerResourceCommands } from './resource-commands.js';
import { registerUploadCommand } from './upload-command.js';

export function registerClientCommands(program: Command, env: NodeJS.ProcessEnv, exit: Exit): void {
  registerUploadCommand(program, env, exit);
  registerResourceCommands(program, exit);
}
