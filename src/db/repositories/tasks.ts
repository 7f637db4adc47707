import type { Insertable, Kysely } from 'kysely';
import type { Database, TaskRow, TasksTable } from '../schema.js';

/** Handles on async completes; a task's state is read from its upload. */
export class TasksRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: Insertable<TasksTable>): Promise<void> {
    await this.db.insertInto('tasks').values(row).execute();
  }

  async find(namespaceId: string, id: string): Promise<TaskRow | undefined> {
    return this.db.selectFrom('tasks').selectAll().where('id', '=', id).where('namespace_id', '=', namespaceId).executeTakeFirst();
  }

  /** The newest task of an upload, if any. */
  async latestOf(uploadId: string): Promise<TaskRow | undefined> {
    return this.db.selectFrom('tasks').selectAll().where('upload_id', '=', uploadId).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
  }
}
