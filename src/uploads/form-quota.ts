/**
 * Quota for form bodies while they stream. A form body announces no file size (a chunked
 * body none at all), so nothing is reserved when it starts; instead each body reserves
 * quota ahead of its bytes, a step at a time, by the namespaces' conditional `reserve`.
 * The bytes a namespace's bodies have written are never more than they reserved, so
 * parallel bodies together never put more than the quota on disk.
 *
 * Fairness: reserving in steps alone lets parallel bodies starve one another (each holds
 * a share, none can take the rest, all are refused though some would fit). So when the
 * room runs out, the body that asked does not give up while a body of the same namespace
 * that started after it still holds quota: the newest such body is refused (its stream is
 * stopped, its temp file removed, its quota given back) and the older one tries again.
 * While a refused body's quota is on its way back, the others wait for it; only a body with
 * no newer holder left and no quota coming back is itself refused. The oldest bodies
 * proceed; a namespace's bodies are refused newest first, each 403 `quota_exceeded`.
 *
 * The registry is per process: with several API processes the quota still holds exactly
 * (the database reserves), but two bodies on different processes can each be refused
 * where one of them alone would have fit.
 */
import { pipeline, Transform, type Readable } from 'node:stream';
import type { Store } from '../db/repositories/index.js';

/** Quota is reserved ahead of the bytes in steps of this much (one conditional update each). */
export const QUOTA_STEP = 1024 * 1024;

/** The form bodies of each namespace that are still streaming, oldest first (one per API process). */
export class FormBodies {
  private readonly streaming = new Map<string, Set<QuotaMeter>>();
  /** Refused bodies whose quota is not given back yet: room that is about to come free. */
  private readonly refusing = new Set<QuotaMeter>();

  /** A meter for a body that starts streaming now. */
  start(store: Pick<Store, 'namespaces'>, namespaceId: string): QuotaMeter {
    const meter = new QuotaMeter(store, namespaceId, this);
    let set = this.streaming.get(namespaceId);
    if (!set) this.streaming.set(namespaceId, (set = new Set()));
    set.add(meter);
    return meter;
  }

  /** The newest body of the namespace, started after `than`, that holds quota. */
  newestHolderAfter(than: QuotaMeter): QuotaMeter | undefined {
    const bodies = [...(this.streaming.get(than.namespaceId) ?? [])];
    const at = bodies.indexOf(than);
    if (at < 0) return undefined;
    const newer = bodies.slice(at + 1);
    return newer.reverse().find((m) => m.held > 0);
  }

  /** Resolves when a refused body of the namespace gives its quota back; undefined when none is pending. */
  nextRelease(namespaceId: string): Promise<void> | undefined {
    const pending = [...this.refusing].filter((m) => m.namespaceId === namespaceId).map((m) => m.released);
    return pending.length ? Promise.race(pending) : undefined;
  }

  /** The body no longer streams (all of it arrived, or it stopped): it can no longer be refused. */
  finish(meter: QuotaMeter, refused = false): void {
    const set = this.streaming.get(meter.namespaceId);
    set?.delete(meter);
    if (set?.size === 0) this.streaming.delete(meter.namespaceId);
    if (refused) this.refusing.add(meter);
  }

  /** Its quota is given back (or handed to its session). */
  released(meter: QuotaMeter): void {
    this.refusing.delete(meter);
  }
}

/** Stops a body refused for quota; the form upload answers 403 `quota_exceeded`. */
export class QuotaRefusedError extends Error {
  constructor() {
    super('the namespace quota has no room for this form body');
    this.name = 'QuotaRefusedError';
  }
}

export class QuotaMeter {
  /** Reserved for this body and not yet handed to its session. */
  held = 0;
  /** Bytes that passed (or are about to pass) on to storage. */
  received = 0;
  refused = false;
  /** Refused, or its write is over: it reserves nothing more. */
  private closed = false;
  private handedOver = false;
  private pending: Promise<unknown> = Promise.resolve();
  private transform: Transform | null = null;
  private readonly stopped: Promise<void>;
  private stop!: () => void;
  /** Resolves once this body's quota is given back (or handed over). */
  readonly released: Promise<void>;
  private markReleased!: () => void;

  constructor(
    private readonly store: Pick<Store, 'namespaces'>,
    readonly namespaceId: string,
    private readonly bodies: FormBodies,
  ) {
    this.stopped = new Promise((resolve) => (this.stop = resolve));
    this.released = new Promise((resolve) => (this.markReleased = resolve));
  }

  /** The body as storage should read it: each chunk passes only once quota covers it. */
  wrap(source: Readable): Readable {
    const transform = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        this.received += chunk.length;
        if (this.received <= this.held) return done(null, chunk);
        const step = this.grow().then(
          (ok) => (ok ? done(null, chunk) : done(new QuotaRefusedError())),
          (err: unknown) => done(err as Error),
        );
        this.pending = step;
      },
      flush: (done) => {
        this.bodies.finish(this);
        done();
      },
    });
    this.transform = transform;
    // A refused body stops its source too (as a body over the size limit does).
    return pipeline(source, transform, () => undefined);
  }

  /** Reserves what the received bytes need; refuses newer holders first when the room runs out. */
  private async grow(): Promise<boolean> {
    while (!this.closed) {
      const need = this.received - this.held;
      for (const bytes of need < QUOTA_STEP ? [QUOTA_STEP, need] : [need]) {
        if (await this.store.namespaces.reserve(this.namespaceId, bytes)) {
          this.held += bytes;
          return !this.closed;
        }
      }
      if (this.closed) break;
      const victim = this.bodies.newestHolderAfter(this);
      victim?.refuse();
      // A refused body's quota comes back once its stream has stopped and its temp file is
      // gone: wait for it (this one's or another's) rather than give up while room is coming.
      const freeing = this.bodies.nextRelease(this.namespaceId);
      if (!freeing) {
        this.refuse();
        break;
      }
      await Promise.race([freeing, this.stopped]);
    }
    return false;
  }

  /** Stops this body: it can take no more quota, and its write fails. */
  refuse(): void {
    if (this.closed) return;
    this.refused = true;
    this.close(true);
    this.transform?.destroy(new QuotaRefusedError());
  }

  private close(refused = false): void {
    this.closed = true;
    this.bodies.finish(this, refused);
    this.stop();
  }

  /** The session row now holds the reservation (its transaction committed). */
  handOver(): void {
    this.handedOver = true;
    this.held = 0;
    this.bodies.released(this);
    this.markReleased();
  }

  /** Gives back what is held, once no reservation is in flight any more. Called after the write failed or finished. */
  async release(): Promise<void> {
    this.close();
    await this.pending.catch(() => undefined);
    if (!this.handedOver && this.held > 0) {
      const held = this.held;
      this.held = 0;
      await this.store.namespaces.adjust(this.namespaceId, { reserved: -held });
    }
    this.bodies.released(this);
    this.markReleased();
  }
}
