/**
 * Tasks: the handle of a complete that was queued (`async`). A task row names the upload
 * and nothing else; its state is read from the upload each time, so it can never
 * disagree with it: queued (no verification holds the session yet), running, done
 * (verified), or failed with the upload's error.
 */
import type { Tenant } from '../auth/principal.js';
import type { AssetRow, TaskRow, UploadRow } from '../db/schema.js';
import { notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import type { AppContext } from '../core/context.js';
import { completeUploadAsync, type CompleteInput } from './complete-upload.js';
import { stillVerifying } from './verification-lease.js';

export const TASK_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface TaskState {
  task: TaskRow;
  status: TaskStatus;
  upload: UploadRow;
  /** The upload's asset once verified (null for one that makes none, or before). */
  asset: AssetRow | null;
}

/**
 * Queues the verification (completeUploadAsync) and records a task for it. Null when
 * nothing was queued: the session is not open, or the complete names what to check
 * (the caller then completes synchronously, as the native route does).
 */
export async function completeAsTask(deps: AppContext, tenant: Tenant, uploadId: string, body: CompleteInput = {}): Promise<{ task: TaskRow; upload: UploadRow } | null> {
  const upload = await completeUploadAsync(deps, tenant, uploadId, body);
  if (!upload) return null;
  return { task: await recordTask(deps, tenant, upload.id), upload };
}

export async function getTask(deps: AppContext, tenant: Tenant, id: string): Promise<TaskState> {
  const task = await deps.store.tasks.find(tenant.namespaceId, id);
  const upload = task ? await deps.store.uploads.find(tenant.namespaceId, task.upload_id) : undefined;
  // A purged upload takes its task with it; one that is gone meanwhile is gone for the caller too.
  if (!task || !upload) throw notFound('Task');
  // The status first, then the asset: an asset only moves on from pending, so a task read as
  // completed shows its asset (read the other way round, a verification finishing in between
  // answered "completed" with no asset).
  const status = await statusOf(deps, upload);
  const asset = upload.asset_id ? ((await deps.store.assets.find(tenant.namespaceId, upload.asset_id)) ?? null) : null;
  return { task, status, upload, asset: asset?.status === 'pending' ? null : asset };
}

async function statusOf(deps: AppContext, upload: UploadRow): Promise<TaskStatus> {
  switch (upload.status) {
    case 'failed':
    case 'canceled':
    case 'expired':
      return 'failed';
    case 'completed':
    case 'storing':
      return 'completed';
    case 'processing':
      // Verified, its renditions being made: the confirm is done. Else queued until a verification holds it.
      if (!(await stillVerifying(deps, upload))) return 'completed';
      return upload.lease_token ? 'processing' : 'pending';
    default:
      // Reopened after an outage: the job retries it.
      return 'pending';
  }
}

/** A task for a complete that ran in the request (it reads as done, or failed, at once). */
export async function recordTask(deps: AppContext, tenant: Tenant, uploadId: string): Promise<TaskRow> {
  const task: TaskRow = { id: newId('task'), namespace_id: tenant.namespaceId, upload_id: uploadId, created_at: deps.clock.now().toISOString() };
  await deps.store.tasks.insert(task);
  return task;
}
