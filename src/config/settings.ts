/**
 * The parts the configuration table (config.ts) is built from. A `Spec<T>` reads one or
 * more environment variables into a value of type T, reports what is wrong with them, and
 * describes them for documentation; groups nest specs, and the Config type is inferred
 * from the table. Only node:path here: `intake --help` loads this.
 */
import path from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

/** One environment variable as documentation shows it (Markdown). */
export interface Variable {
  readonly env: string;
  /** What it accepts: `integer 0–65535`, `boolean`, `` `local`, `s3` ``. */
  readonly accepts: string;
  /** The default as shown; '' when there is none. */
  readonly default: string;
  readonly doc: string;
}

/** A titled part of the table; its variables, then its own sections. */
export interface Section {
  readonly title: string;
  readonly note: string;
  readonly items: readonly DocItem[];
}

export type DocItem = Variable | Section;

export interface Spec<T> {
  /** The variables this reads, in order; titled groups as sections. */
  readonly docs: readonly DocItem[];
  /** Reads the value (through `Reader.read`, which reads each spec once). */
  parse(reader: Reader): T;
}

/** The value a spec reads. */
export type ValueOf<S> = S extends Spec<infer T> ? T : never;

/** Reads specs from one environment, once each, and collects every problem. */
export class Reader {
  readonly problems: string[] = [];
  private readonly values = new Map<Spec<unknown>, unknown>();

  constructor(
    readonly env: Env,
    /** Relative paths are resolved from here. */
    readonly cwd: string,
  ) {}

  /** The value of `spec`; a spec read twice (another's default depends on it) is parsed once. */
  read<T>(spec: Spec<T>): T {
    if (this.values.has(spec)) return this.values.get(spec) as T;
    const value = spec.parse(this);
    this.values.set(spec, value);
    return value;
  }

  problem(message: string): void {
    this.problems.push(message);
  }
}

/** A default given as a value, or computed from other settings. */
type Default<T> = T | ((reader: Reader) => T);
const resolve = <T>(d: Default<T>, reader: Reader): T => (typeof d === 'function' ? (d as (r: Reader) => T)(reader) : d);

interface Described {
  readonly env: string;
  readonly doc: string;
  /** The default as documentation shows it, when it is not the literal default. */
  readonly shown?: string;
}

const code = (v: string | number | boolean): string => `\`${v}\``;

function shownDefault(o: Described, def: unknown): string {
  if (o.shown !== undefined) return o.shown;
  if (typeof def === 'string' || typeof def === 'number' || typeof def === 'boolean') return code(def);
  throw new Error(`${o.env}: a computed default needs \`shown\``);
}

/** One variable: `parse` gets its raw value (undefined when unset; empty strings as given). */
export function variable<T>(v: Variable, parse: (raw: string | undefined, reader: Reader) => T): Spec<T> {
  return { docs: [Object.freeze({ ...v })], parse: (reader) => parse(reader.env[v.env], reader) };
}

interface IntOptions extends Described {
  readonly min: number;
  readonly max: number;
  /** The value is the variable times this (seconds to ms, MiB to bytes). */
  readonly scale?: number;
  /** Named after the number: `MiB`, `seconds`, `ms`. */
  readonly unit?: string;
}

function intAccepts(o: IntOptions): string {
  return `integer ${o.min}–${o.max}${o.unit ? ` (${o.unit})` : ''}`;
}

/** Reads a trimmed integer in [min, max]; null when unset or blank. */
function readInt(o: IntOptions, raw: string | undefined, reader: Reader): number | null | undefined {
  const s = raw?.trim();
  if (s === undefined || s === '') return null;
  const n = /^-?\d+$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isInteger(n) || n < o.min || n > o.max) {
    reader.problem(`${o.env} must be an integer from ${o.min} to ${o.max} (got ${JSON.stringify(s)})`);
    return undefined;
  }
  return n;
}

/** An integer in [min, max], times `scale`. */
export function int(o: IntOptions & { readonly default: Default<number> }): Spec<number> {
  return variable({ env: o.env, accepts: intAccepts(o), default: shownDefault(o, o.default), doc: o.doc }, (raw, reader) => {
    const n = readInt(o, raw, reader);
    return (n ?? resolve(o.default, reader)) * (o.scale ?? 1);
  });
}

/** An integer in [min, max], times `scale`; null when unset. */
export function optionalInt(o: IntOptions & { readonly shown: string }): Spec<number | null> {
  return variable({ env: o.env, accepts: intAccepts(o), default: o.shown, doc: o.doc }, (raw, reader) => {
    const n = readInt(o, raw, reader);
    return typeof n === 'number' ? n * (o.scale ?? 1) : null;
  });
}

const TRUE = ['true', '1', 'yes'];
const FALSE = ['false', '0', 'no'];

/** `true/false/1/0/yes/no`, any case; anything else is refused. */
export function bool(o: Described & { readonly default: boolean }): Spec<boolean> {
  return variable({ env: o.env, accepts: 'boolean', default: shownDefault(o, o.default), doc: o.doc }, (raw, reader) => {
    const s = raw?.trim().toLowerCase();
    if (s === undefined || s === '') return o.default;
    if (TRUE.includes(s)) return true;
    if (FALSE.includes(s)) return false;
    reader.problem(`${o.env} must be a boolean: true, false, 1, 0, yes or no (got ${JSON.stringify(raw)})`);
    return o.default;
  });
}

/** One of `values`, exactly as written. */
export function oneOf<const V extends readonly string[]>(o: Described & { readonly values: V; readonly default: V[number] }): Spec<V[number]> {
  const list = o.values.length === 2 ? `${o.values[0]} or ${o.values[1]}` : `one of ${o.values.join(', ')}`;
  return variable({ env: o.env, accepts: o.values.map(code).join(', '), default: shownDefault(o, o.default), doc: o.doc }, (raw, reader) => {
    if (raw === undefined || raw === '') return o.default;
    if ((o.values as readonly string[]).includes(raw)) return raw as V[number];
    reader.problem(`${o.env} must be ${list}`);
    return o.default;
  });
}

interface TextOptions extends Described {
  readonly accepts?: string;
  /** Applied to the value (given or default) before `check`. */
  readonly normalize?: (value: string) => string;
  /** The problem with a value, or null. */
  readonly check?: (value: string) => string | null;
}

function checked(o: TextOptions, value: string, reader: Reader): string {
  const v = o.normalize ? o.normalize(value) : value;
  const problem = o.check?.(v) ?? null;
  if (problem !== null) reader.problem(problem);
  return v;
}

/** A string; empty is unset. */
export function text(o: TextOptions & { readonly default: Default<string> }): Spec<string> {
  return variable({ env: o.env, accepts: o.accepts ?? 'string', default: shownDefault(o, o.default), doc: o.doc }, (raw, reader) =>
    checked(o, raw === undefined || raw === '' ? resolve(o.default, reader) : raw, reader),
  );
}

/** A string, or null when unset or empty (after `normalize`). */
export function optionalText(o: TextOptions & { readonly shown: string }): Spec<string | null> {
  return variable({ env: o.env, accepts: o.accepts ?? 'string', default: o.shown, doc: o.doc }, (raw, reader) => {
    const v = raw === undefined ? '' : o.normalize ? o.normalize(raw) : raw;
    return v === '' ? null : checked({ ...o, normalize: undefined }, v, reader);
  });
}

const stripSlashes = (v: string) => v.replace(/\/+$/, '');
const urlProblem = (env: string) => (v: string) => {
  try {
    const u = new URL(v);
    if (u.protocol === 'http:' || u.protocol === 'https:') return null;
  } catch {
    // reported below
  }
  return `${env} must be an http(s) URL (got ${JSON.stringify(v)})`;
};

/** An http(s) URL without trailing slashes. */
export function httpUrl(o: Described & { readonly default: Default<string> }): Spec<string> {
  return text({ ...o, accepts: 'http(s) URL', normalize: stripSlashes, check: urlProblem(o.env) });
}

/** An http(s) URL without trailing slashes, or null when unset. */
export function optionalHttpUrl(o: Described & { readonly shown: string }): Spec<string | null> {
  return optionalText({ ...o, accepts: 'http(s) URL', normalize: stripSlashes, check: urlProblem(o.env) });
}

/** A folder, resolved from the working folder. */
export function folder(o: Described & { readonly default: string }): Spec<string> {
  return variable({ env: o.env, accepts: 'path', default: shownDefault(o, o.default), doc: o.doc }, (raw, reader) =>
    path.resolve(reader.cwd, raw === undefined || raw === '' ? o.default : raw),
  );
}

/**
 * An executable: a command name looked up on PATH, or a path (resolved from the working
 * folder). Not checked for existence here: a tool missing at run time is an outage, reported then.
 */
export function command(o: Described & { readonly default: string }): Spec<string> {
  return variable({ env: o.env, accepts: 'command or path', default: shownDefault(o, o.default), doc: o.doc }, (raw, reader) => {
    const v = raw === undefined || raw === '' ? o.default : raw;
    // An option where the executable goes (nice would read it as its own), or stray spaces, are refused.
    if (v.trim() !== v || v.startsWith('-') || v.includes('\0')) {
      reader.problem(`${o.env} must be a command name or a path (got ${JSON.stringify(v)})`);
      return o.default;
    }
    return v.includes('/') ? path.resolve(reader.cwd, v) : v;
  });
}

type Fields = Readonly<Record<string, Spec<unknown>>>;

/** Specs side by side: a frozen object of their values; titled, a section of the documentation. */
export function group<F extends Fields>(fields: F, section?: { readonly title: string; readonly note?: string }): Spec<{ readonly [K in keyof F]: ValueOf<F[K]> }> {
  const items = Object.values(fields).flatMap((f) => f.docs);
  return {
    docs: section ? [Object.freeze({ title: section.title, note: section.note ?? '', items })] : items,
    parse(reader) {
      const value: Record<string, unknown> = {};
      for (const [key, spec] of Object.entries(fields)) value[key] = reader.read(spec);
      return Object.freeze(value) as { readonly [K in keyof F]: ValueOf<F[K]> };
    },
  };
}

/** The value of `spec`, made into another (derived fields, checks across variables). */
export function map<T, U>(spec: Spec<T>, fn: (value: T, reader: Reader) => U): Spec<U> {
  return { docs: spec.docs, parse: (reader) => fn(reader.read(spec), reader) };
}

/** `spec`'s value when `condition` holds (its variables are neither read nor checked otherwise), else null. */
export function when<T>(condition: (reader: Reader) => boolean, spec: Spec<T>): Spec<T | null> {
  return { docs: spec.docs, parse: (reader) => (condition(reader) ? reader.read(spec) : null) };
}

export const isSection = (item: DocItem): item is Section => 'items' in item;

/** Every variable under `items`, depth first. */
export function variablesOf(items: readonly DocItem[]): Variable[] {
  return items.flatMap((i) => (isSection(i) ? variablesOf(i.items) : [i]));
}
