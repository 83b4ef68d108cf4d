// Joins the intake to the store: an accepted webhook or API request becomes a
// persisted job before the intake answers 2xx.
import type { Store } from '../store/store.js';
import type { Enqueue } from './intake-routes.js';

export function storeEnqueue(store: Store): Enqueue {
  return (r) =>
    store.enqueue({
      repo: r.repo,
      tag: r.tag,
      ...(r.object !== undefined ? { tagObject: r.object } : {}),
      ...(r.upload !== undefined ? { upload: r.upload } : {}),
      source: r.source === 'gitlab' ? 'webhook' : 'api',
      // Delivery ids only ("gitlab:…", "api:…"). The intake's "work:" fallback stands for
      // (repo, tag, object, upload), which the store deduplicates itself, with its own rule
      // for requests by tag name (merged while pending, not with a finished job).
      ...(r.idempotencyKey.startsWith('work:') ? {} : { idempotencyKey: r.idempotencyKey }),
    });
}
