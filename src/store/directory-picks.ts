// The operator's choice when a log's directory has two blobs for one epoch (docs/design-decisions.md,
// "Directory source"): the node signs neither until one is gone or the operator picks one here.
import { Batch, Table, type RootDb } from './database.js';
import { nsEpochKey } from './keys.js';

export class DirectoryPicks {
  readonly table: Table<string, string>;
  constructor(private readonly db: RootDb) {
    this.table = new Table(
      db,
      'directory-picks',
      (v: string) => v,
      (v: string) => v,
    );
  }

  async pick(ns: string, epoch: bigint, blobName: string): Promise<void> {
    await new Batch(this.db).put(this.table, nsEpochKey(ns, epoch), blobName).write(true);
  }

  async picked(ns: string, epoch: bigint): Promise<string | undefined> {
    return this.table.get(nsEpochKey(ns, epoch));
  }
}
