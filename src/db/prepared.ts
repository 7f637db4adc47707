/**
 * Queries Kysely builds and compiles once per database, then only binds. Building and
 * compiling a small statement costs more CPU than SQLite takes to run it (building them
 * per call made a session create cost 1.37× the CPU), so the statements of the hot paths are prepared
 * here; the rest of the repositories build their queries per call as usual. The SQL still
 * comes from Kysely's compiler for the database's own dialect, so PostgreSQL and SQLite
 * get the same statements they always did.
 */
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

/** A parameter position: the caller's argument `arg`, or a constant the builder put there. */
type Slot = { arg: number } | { value: unknown };

interface Template {
  compiled: CompiledQuery;
  slots: Slot[];
}

export type Prepared<A extends unknown[], R> = (db: Kysely<Database>, ...args: A) => Promise<QueryResult<R>>;

// Placeholders are strings, which every builder method takes as a plain value.
const MARK = '\u0000intake-prepared-arg:';

/**
 * `build` is called once per database with placeholder arguments; its compiled SQL is
 * kept, and each call binds the real arguments at the placeholders' positions. Every
 * argument must reach the query as a value (not steer how it is built): `build` must
 * produce the same SQL whatever the arguments are.
 */
export function prepare<A extends unknown[], R>(build: (db: Kysely<Database>, ...args: A) => Compilable<R>): Prepared<A, R> {
  // By adapter: one per database (a transaction shares its database's), and it fixes the dialect.
  const templates = new WeakMap<object, Template>();
  return (db, ...args) => {
    const adapter = db.getExecutor().adapter;
    let t = templates.get(adapter);
    if (!t) {
      t = template(db, build, args.length);
      templates.set(adapter, t);
    }
    const parameters = t.slots.map((s) => ('arg' in s ? args[s.arg] : s.value));
    return db.executeQuery<R>({ ...t.compiled, parameters } as CompiledQuery<R>);
  };
}

function template<A extends unknown[]>(db: Kysely<Database>, build: (db: Kysely<Database>, ...args: A) => Compilable<unknown>, arity: number): Template {
  const marks = Array.from({ length: arity }, (_, i) => `${MARK}${i}`) as A;
  const compiled = build(db, ...marks).compile();
  const slots = compiled.parameters.map((p): Slot => (typeof p === 'string' && p.startsWith(MARK) ? { arg: Number(p.slice(MARK.length)) } : { value: p }));
  for (let i = 0; i < arity; i++) {
    if (!slots.some((s) => 'arg' in s && s.arg === i)) throw new Error(`prepared query: argument ${i} never reached the SQL as a value`);
  }
  return { compiled, slots };
}

/**
 * INSERT of a whole row into `table`, prepared per set of columns (a table's rows almost
 * always come with the same ones). Values are bound as they are, so a row must hold plain
 * values, never Kysely expressions; undefined columns are left out, as Kysely does.
 */
export function preparedInsert<T extends keyof Database & string>(table: T): (db: Kysely<Database>, row: Record<string, unknown>) => Promise<QueryResult<unknown>> {
  const byColumns = new Map<string, Prepared<unknown[], unknown>>();
  return (db, row) => {
    const columns = Object.keys(row).filter((c) => row[c] !== undefined);
    const shape = columns.join(',');
    let insert = byColumns.get(shape);
    if (!insert) {
      insert = prepare((d, ...vals: unknown[]) => d.insertInto(table).values(Object.fromEntries(columns.map((c, i) => [c, vals[i]])) as never));
      byColumns.set(shape, insert);
    }
    return insert(db, ...columns.map((c) => row[c]));
  };
}

