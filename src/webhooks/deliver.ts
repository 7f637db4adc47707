/**
 * The `webhook.deliver` job: one signed POST of one stored message, 10 s at most. A 2xx
 * marks it delivered; anything else is recorded and thrown, so the queue retries with
 * backoff (about 24 h in all) until the last attempt marks it failed.
 *
 * Fair across namespaces: one namespace's deliveries run at most NAMESPACE_DELIVERIES at
 * once in a process; another of its jobs taken meanwhile is put back for a few seconds
 * without spending an attempt (DeferJobError), freeing its worker slot at once. So endpoints
 * that hang (10 s each) hold at most that many of the webhook slots (core.ts gives the
 * queue 16), and other namespaces' deliveries go through the rest at once.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Store } from '../db/repositories/index.js';
import type { DeliveryRow } from '../db/schema.js';
import type { JobContext } from '../jobs/catalogue.js';
import { DeferJobError, PermanentJobError } from '../jobs/catalogue.js';
import type { Clock } from '../lib/clock.js';
import { signWebhook } from './signature.js';
import { DeliveryTimeoutError, deliveryFailureMessage, guardedLookup, isPrivateAddress, PrivateAddressError } from './url-guard.js';

const DELIVERY_TIMEOUT_MS = 10_000;
/** Deliveries of one namespace running at once, per process. */
export const NAMESPACE_DELIVERIES = 2;
/** A delivery over that cap waits this long, plus up to as much again (spread, not in step). */
const DEFER_MS = 2_000;

/** Deliveries running per namespace, per set of deps (one per process; tests build several). */
const running = new WeakMap<DeliveryDeps, Map<string, number>>();

export interface DeliveryDeps {
  store: Store;
  clock: Clock;
  allowPrivate: boolean;
}

export async function deliverWebhook(deps: DeliveryDeps, deliveryId: string, ctx: JobContext): Promise<void> {
  const delivery = await deps.store.webhooks.findDelivery(deliveryId);
  if (!delivery || delivery.status !== 'pending') return;
  const counts = running.get(deps) ?? new Map<string, number>();
  running.set(deps, counts);
  const ns = delivery.namespace_id;
  const busy = counts.get(ns) ?? 0;
  if (busy >= NAMESPACE_DELIVERIES) throw new DeferJobError(DEFER_MS + Math.floor(Math.random() * DEFER_MS), `namespace ${ns} has ${busy} deliveries running`);
  counts.set(ns, busy + 1);
  try {
    await deliverNow(deps, delivery, ctx);
  } finally {
    const left = (counts.get(ns) ?? 1) - 1;
    if (left > 0) counts.set(ns, left);
    else counts.delete(ns);
  }
}

async function deliverNow(deps: DeliveryDeps, delivery: DeliveryRow, ctx: JobContext): Promise<void> {
  const hook = await deps.store.webhooks.find(delivery.namespace_id, delivery.webhook_id);
  const now = () => deps.clock.now().toISOString();
  if (!hook || !hook.enabled) {
    await deps.store.webhooks.recordAttempt(delivery.id, { status: 'failed', error: 'the endpoint was disabled', updated_at: now() });
    return;
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Intake-Webhooks/1',
    'webhook-id': delivery.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(hook.secret, delivery.id, timestamp, delivery.body),
  };
  const result = await post(hook.url, headers, delivery.body, deps.allowPrivate).then(
    (status) => ({ status, refused: false, error: status >= 200 && status < 300 ? null : `the endpoint answered ${status}`, cause: undefined as Error | undefined }),
    (err: Error) => ({ status: null, refused: err instanceof PrivateAddressError, error: deliveryFailureMessage(err, DELIVERY_TIMEOUT_MS), cause: err }),
  );
  // A URL that now resolves to a private address will not stop doing so by waiting: no retries.
  const last = ctx.attempt >= ctx.maxAttempts || result.refused;
  if (result.error === null) {
    await deps.store.webhooks.recordAttempt(delivery.id, { status: 'delivered', attempts: ctx.attempt, response_status: result.status, error: null, delivered_at: now(), updated_at: now() });
    return;
  }
  await deps.store.webhooks.recordAttempt(delivery.id, { status: last ? 'failed' : 'pending', attempts: ctx.attempt, response_status: result.status, error: result.error, updated_at: now() });
  // The log shows the generic message; the socket's own error stays the cause, for the operator.
  throw last ? new PermanentJobError(result.error, result.cause) : new Error(result.error, { cause: result.cause });
}

/** POSTs and resolves with the status; the answer's body is read and dropped (at most 64 KiB kept nowhere). */
function post(url: string, headers: Record<string, string>, body: string, allowPrivate: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    // An IP literal skips the DNS lookup, so it is checked here.
    const literal = u.hostname.replace(/^\[|\]$/g, '');
    if (!allowPrivate && net.isIP(literal) && isPrivateAddress(literal)) return reject(new PrivateAddressError(literal));
    const client = u.protocol === 'https:' ? https : http;
    const req = client.request(u, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup: guardedLookup(allowPrivate), timeout: DELIVERY_TIMEOUT_MS }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    // The whole exchange, not just idle time, is bounded.
    const timer = setTimeout(() => req.destroy(new DeliveryTimeoutError(DELIVERY_TIMEOUT_MS)), DELIVERY_TIMEOUT_MS);
    req.once('close', () => clearTimeout(timer));
    req.once('timeout', () => req.destroy(new DeliveryTimeoutError(DELIVERY_TIMEOUT_MS)));
    req.once('error', reject);
    req.end(body);
  });
}
