/**
 * The real server as a child process (`intake serve` through tsx), for tests that kill it,
 * restart it, or run several side by side. Resolves once it says it is listening; rejects
 * with everything it printed if it exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ADMIN_KEY, SIGNING_SECRET } from './intake.js';

export async function spawnServe(env: { INTAKE_DATA_DIR: string; INTAKE_PORT: string } & Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', 'serve'], {
    env: { ...process.env, INTAKE_ADMIN_KEY: ADMIN_KEY, INTAKE_SIGNING_SECRET: SIGNING_SECRET, INTAKE_LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code, signal) => reject(new Error(`serve exited early (${code ?? signal}): ${out}`)));
  });
  return child;
}

/** A role of the real server (`intake serve` or `intake worker`) and when it is up or gone. */
export interface RoleProcess {
  child: ChildProcess;
  /** Resolves once it says it is listening (serve) or running (worker); rejects if it exits first. */
  ready: Promise<void>;
  /** Resolves with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * Starts `intake serve` or `intake worker` through tsx with `env` (stderr shown), and keeps
 * it in `children` until it exits, so a test's after() can SIGKILL whatever is left.
 */
export function startRole(cmd: 'serve' | 'worker', env: NodeJS.ProcessEnv, children: Set<ChildProcess>): RoleProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', cmd], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code))).finally(() => children.delete(child));
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/listening on|worker running/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited early (${code}): ${out}`)));
  });
  return { child, ready, exited };
}
