/**
 * Where a child process's or thread's entry module is, and what Node needs to run it. The
 * project runs two ways: compiled (`dist/src/.../x.js`) and from source under tsx in tests
 * (`src/.../x.ts`, no .js beside it). An entry is the caller's sibling, run the way its
 * caller runs: x.js with no flags when the caller is compiled JavaScript, x.ts with tsx's
 * hooks when the caller is TypeScript. The caller's own extension decides, not which files
 * exist, so a stray compiled x.js in src/ is never run in place of the source beside it,
 * and production never resolves or loads tsx.
 */
import { fileURLToPath } from 'node:url';

export interface ModuleEntry {
  /** The entry's file: for `child_process.spawn(process.execPath, [...flags, ...execArgv, file, ...args])`. */
  file: string;
  /** The same, for `new Worker(url)`. */
  url: URL;
  /** Node flags the entry needs: none when compiled; tsx's hooks from source. */
  execArgv: string[];
}

/**
 * `name` is the sibling module's base name (`'./image-child'`), `parentUrl` the caller's
 * `import.meta.url`.
 *
 * From source the flag is `--import` of a module that registers tsx's ESM hooks itself,
 * not `--import tsx`: on Node 20 tsx registers them in a process's main thread only, so a
 * worker thread would load x.ts without them ("Unknown file extension .ts"). It is the
 * same one statement in a process. tsx is resolved here, to an absolute URL, so neither
 * the child's working directory nor its environment (the prober gives its children a
 * fixed one, without NODE_OPTIONS) decides whether it is found. The hooks cost a child run
 * from source ~35 MB more data (their own thread): tests' memory caps allow for it.
 */
export function moduleEntry(name: string, parentUrl: string): ModuleEntry {
  const fromSource = new URL(parentUrl).pathname.endsWith('.ts');
  const url = new URL(`${name}${fromSource ? '.ts' : '.js'}`, parentUrl);
  return { file: fileURLToPath(url), url, execArgv: fromSource ? ['--import', tsxHooks()] : [] };
}

let hooks: string | undefined;

/** A data: URL module that registers tsx's ESM hooks in the thread that imports it. */
function tsxHooks(): string {
  hooks ??= `data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register();`)}`;
  return hooks;
}
