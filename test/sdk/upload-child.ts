/**
 * Run as a child process by the process-kill test: uploads one file with the SDK's Node
 * entry (state file and all) and prints the result as one JSON line. Argument: a JSON object
 * `{ baseUrl, apiKey, file, stateFile, partSize }`.
 */
import { intakeBackend, uploadFile } from '../../clients/sdk/src/node.js';

const args = JSON.parse(process.argv[2] ?? '{}') as { baseUrl: string; apiKey: string; file: string; stateFile: string; partSize: number };
const result = await uploadFile(args.file, {
  backend: intakeBackend({ baseUrl: args.baseUrl, apiKey: args.apiKey }),
  resumable: true,
  partSize: args.partSize,
  sha256: true,
  stateFile: args.stateFile,
  retry: { retries: 3, minDelayMs: 10, maxDelayMs: 100 },
});
process.stdout.write(`${JSON.stringify(result)}\n`);
