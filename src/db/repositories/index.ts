import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { ApiKeysRepository } from './api-keys.js';
import { AssetsRepository } from './assets.js';
import { BlobsRepository } from './blobs.js';
import { DerivativesRepository } from './derivatives.js';
import { LeasesRepository } from './leases.js';
import { NamespacesRepository } from './namespaces.js';
import { UploadsRepository } from './uploads.js';
import { TransfersRepository } from './transfers.js';
import { JobsRepository } from './jobs.js';
import { WebhooksRepository } from './webhooks.js';
import { BucketsRepository } from './buckets.js';
import { TasksRepository } from './tasks.js';
import { GroupCommit } from '../group-commit.js';

export interface Repositories {
  namespaces: NamespacesRepository;
  apiKeys: ApiKeysRepository;
  uploads: UploadsRepository;
  assets: AssetsRepository;
  blobs: BlobsRepository;
  jobs: JobsRepository;
  webhooks: WebhooksRepository;
  leases: LeasesRepository;
  transfers: TransfersRepository;
  derivatives: DerivativesRepository;
  buckets: BucketsRepository;
  tasks: TasksRepository;
}

export interface Store extends Repositories {
  /** Runs `fn` in one transaction; the repositories it gets see and write only inside it. */
  transaction<T>(fn: (repos: Repositories) => Promise<T>): Promise<T>;
  /**
   * A transaction for short, hot writes (a session create). With group commit (SQLite),
   * concurrent ones share one commit, each in its own savepoint, so each still commits or
   * rolls back alone (db/group-commit.ts); otherwise the same as `transaction`.
   */
  groupedTransaction<T>(fn: (repos: Repositories) => Promise<T>): Promise<T>;
  /** A trivial query, for readiness checks. */
  ping(): Promise<void>;
}

function repositories(db: Kysely<Database>, notifies: boolean): Repositories {
  return {
    namespaces: new NamespacesRepository(db),
    apiKeys: new ApiKeysRepository(db),
    uploads: new UploadsRepository(db),
    assets: new AssetsRepository(db),
    blobs: new BlobsRepository(db),
    jobs: new JobsRepository(db, notifies),
    webhooks: new WebhooksRepository(db),
    leases: new LeasesRepository(db),
    transfers: new TransfersRepository(db),
    derivatives: new DerivativesRepository(db),
    buckets: new BucketsRepository(db),
    tasks: new TasksRepository(db),
  };
}

/** `notifies`: the database has LISTEN/NOTIFY (PostgreSQL); an outbox insert then wakes the relay on commit. */
export function createStore(db: Kysely<Database>, opts: { groupCommit?: boolean; notifies?: boolean } = {}): Store {
  const notifies = opts.notifies ?? false;
  const transaction = <T>(fn: (repos: Repositories) => Promise<T>) => db.transaction().execute((trx) => fn(repositories(trx, notifies)));
  const group = opts.groupCommit ? new GroupCommit(db) : null;
  return {
    ...repositories(db, notifies),
    transaction,
    groupedTransaction: (fn) => (group ? group.run((trx) => fn(repositories(trx, notifies))) : transaction(fn)),
    ping: async () => {
      await db.selectFrom('namespaces').select('id').limit(1).execute();
    },
  };
}

export type { PageCursor } from './page.js';
export { encodeCursor, decodeCursor, toPage } from './page.js';
