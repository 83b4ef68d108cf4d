// Joins the intake to the store: an accepted webhook or API request becomes a
// persisted job before the intake answers 2xx.
//
// Group commit: with SQLite under synchronous=FULL every commit waits for an
// fsync (2-3 ms on an ordinary disk). The store does that wait on a thread of
// its own (src/store/sqlite-thread-store.ts), and one batch is committed at a
// time: requests that arrive while a batch is being committed wait together,
// and go in the next one, one transaction, one fsync, each still answered only
// once that commit is durable. So the commits keep pace with any rate of
// arrival, and the event loop goes on reading requests meanwhile. A store
// without `enqueueMany` gets them one by one.
import type { EnqueueRequest, EnqueueResult, Store } from '../../store/store.js';
import type { Enqueue, IntakeRequest } from './intake-routes.js';

/** Largest batch per commit: bounds the time one commit holds the event loop. */
export const MAX_BATCH = 256;

function toEnqueueRequest(r: IntakeRequest): EnqueueRequest {
  return {
    repo: r.repo,
    tag: r.tag,
    ...(r.tagObject !== undefined ? { tagObject: r.tagObject } : {}),
    ...(r.upload !== undefined ? { upload: r.upload } : {}),
    intake: r.intake,
    // Delivery ids only ("gitlab:…", "api:…"). The intake's "work:" fallback stands for
    // (repo, tag, tagObject, upload), which the store deduplicates itself, with its own rule
    // for requests by tag name (merged while pending, not with a finished job).
    ...(r.idempotencyKey.startsWith('work:') ? {} : { idempotencyKey: r.idempotencyKey }),
  };
}

interface Waiting {
  readonly request: EnqueueRequest;
  resolve(result: EnqueueResult): void;
  reject(error: unknown): void;
}

/** Batches concurrent enqueues into one commit when the store can (see the header). */
export function groupCommit(store: Store, maxBatch: number = MAX_BATCH): (request: EnqueueRequest) => Promise<EnqueueResult> {
  const many = store.enqueueMany?.bind(store);
  if (many === undefined) return (request) => store.enqueue(request);
  const waiting: Waiting[] = [];
  let scheduled = false;
  let committing = false;
  const flush = (): void => {
    scheduled = false;
    // The commit under way schedules the next batch when it ends.
    if (committing) return;
    const batch = waiting.splice(0, maxBatch);
    if (batch.length === 0) return;
    committing = true;
    many(batch.map((w) => w.request))
      .then(
        (outcomes) =>
          outcomes.forEach((o, i) => {
            if (o.ok) batch[i]!.resolve(o.result);
            else batch[i]!.reject(o.error);
          }),
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        committing = false;
        if (waiting.length > 0 && !scheduled) schedule();
      });
  };
  // setImmediate runs after the event loop's I/O phase: every request read in this turn is in the batch.
  const schedule = (): void => {
    scheduled = true;
    setImmediate(flush);
  };
  return (request) =>
    new Promise<EnqueueResult>((resolve, reject) => {
      waiting.push({ request, resolve, reject });
      if (!scheduled) schedule();
    });
}

export function storeEnqueue(store: Store): Enqueue {
  const enqueue = groupCommit(store);
  return (r) => enqueue(toEnqueueRequest(r));
}
