// GitLab's tag push, reduced to what starts a verification: the repository
// (project.git_http_url), the tag name (ref) and the tag object (after).
// Two senders, one payload: a project or group webhook's Tag Push Hook
// (doc/user/project/integrations/webhook_events.md, "Tag events":
// `X-Gitlab-Event: Tag Push Hook`, `object_kind: tag_push`), and an
// instance's system hook (doc/administration/system_hooks.md, "Tag events":
// `X-Gitlab-Event: System Hook` for every event, told apart by
// `event_name: tag_push`; "the same structure ... as project and group
// webhooks", without commits). Unknown fields are ignored, as GitLab adds
// fields over time.
import { z } from 'zod';
import { decodeTagName, DISTRO } from '../../interpret/index.js';
import { checkRepositoryUrl, type UrlPolicy } from '../../net/url-policy.js';
import { isVerificationError } from '../../report/verification-error.js';

/** The X-Gitlab-Event value of tag creation and deletion, from a project or group webhook. */
export const TAG_PUSH_EVENT = 'Tag Push Hook';
/** The X-Gitlab-Event value of every system hook event; `event_name` says which. */
export const SYSTEM_HOOK_EVENT = 'System Hook';

/** A git object id: SHA-1 (40 hex digits) or SHA-256 (64); GitLab sends lower case. */
const objectId = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'must be a hex object id');
const optionalText = z.string().max(1024).nullish();

const tagPushFields = {
  ref: z.string().min(1).max(1024),
  before: objectId,
  after: objectId,
  // GitLab sends null for a deletion.
  checkout_sha: objectId.nullish(),
  user_id: z.number().int().nullish(),
  user_name: optionalText,
  user_username: optionalText,
  user_email: optionalText,
  project_id: z.number().int().nullish(),
  project: z.object({
    git_http_url: z.string().min(1).max(2048),
    path_with_namespace: z.string().min(1).max(1024),
    web_url: optionalText,
  }),
};

/** A project or group webhook's body. */
const tagPushSchema = z.object({ object_kind: z.literal('tag_push'), ...tagPushFields });

/**
 * A system hook's body: `event_name` names the event, and the documented
 * example has no `object_kind` (GitLab's push data builder adds one; when
 * present it must agree).
 */
const systemTagPushSchema = z.object({
  event_name: z.literal('tag_push'),
  object_kind: z.literal('tag_push').optional(),
  ...tagPushFields,
});

export interface TagPushEvent {
  /** project.git_http_url, checked (https://, or http:// to loopback when allowed). */
  readonly repo: string;
  /** The tag name without "refs/tags/", e.g. "debian/1.2-1". */
  readonly tag: string;
  /** The Debian version the tag name encodes. */
  readonly version: string;
  /** The tag object the ref now names (GitLab's `after`). */
  readonly tagObject: string;
  /** `checkout_sha`: the commit the tag points at, as GitLab saw it. */
  readonly commit: string | undefined;
  readonly project: string;
  readonly pusher: { readonly id?: number; readonly name?: string; readonly username?: string; readonly email?: string };
}

export type GitlabPayloadResult =
  | { readonly kind: 'tag-push'; readonly event: TagPushEvent }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string; readonly path?: string };

export interface GitlabPayloadOptions {
  /** The rule the project's repository URL must meet: the hosts the service fetches from, http:// only on loopback in tests. */
  readonly policy: UrlPolicy;
}

const TAG_PREFIX = 'refs/tags/';
const DEBIAN_TAG_PREFIX = `${TAG_PREFIX}${DISTRO}/`;

/**
 * The event a system hook body announces: `event_name`, or `object_kind` for
 * the events GitLab sends in its newer form (merge requests, member approvals).
 */
function systemEventName(body: Record<string, unknown>): string | undefined {
  const name = body['event_name'] ?? body['object_kind'];
  return typeof name === 'string' ? name : undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Interprets an authenticated GitLab webhook or system hook: `eventHeader` is
 * X-Gitlab-Event, `body` the parsed JSON. Events other than tag pushes, tag
 * deletions and tags outside DEP-14's `debian/` namespace are acknowledged and
 * ignored; a body that does not have the documented shape is invalid.
 */
export function interpretGitlabHook(eventHeader: string | undefined, body: unknown, options: GitlabPayloadOptions): GitlabPayloadResult {
  let schema: typeof tagPushSchema | typeof systemTagPushSchema;
  if (eventHeader === TAG_PUSH_EVENT) {
    schema = tagPushSchema;
  } else if (eventHeader === SYSTEM_HOOK_EVENT) {
    // A system hook sends every event the administrator ticked (project_create, user_create, push…);
    // a body that is no JSON object is not one of them, and is invalid below.
    const name = isRecord(body) ? systemEventName(body) : 'tag_push';
    if (name !== 'tag_push') return { kind: 'ignored', reason: `system hook event ${JSON.stringify(name ?? '(none)')} is not a tag_push` };
    schema = systemTagPushSchema;
  } else {
    return {
      kind: 'ignored',
      reason: `event ${JSON.stringify(eventHeader ?? '(none)')} is not a ${TAG_PUSH_EVENT} or a ${SYSTEM_HOOK_EVENT}`,
    };
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.');
    return { kind: 'invalid', reason: `${path || '(top level)'}: ${issue.message}`, path };
  }
  const p = parsed.data;
  // GitLab reports a deleted tag with `after` all zeros (git's null object id).
  if (/^0+$/.test(p.after)) return { kind: 'ignored', reason: `tag deletion of ${p.ref}` };
  if (!p.ref.startsWith(DEBIAN_TAG_PREFIX)) {
    return { kind: 'ignored', reason: `ref ${JSON.stringify(p.ref)} is not a ${DEBIAN_TAG_PREFIX}… tag (DEP-14)` };
  }
  const tag = p.ref.slice(TAG_PREFIX.length);
  // git's ref-name rules and the tag2upload service's name rule: a tag the
  // service would refuse is not a tag2upload tag.
  const name = decodeTagName(tag);
  if (!name.ok) return { kind: 'ignored', reason: name.reasons.map((r) => r.message).join('; ') };
  let repo: string;
  try {
    repo = checkRepositoryUrl(p.project.git_http_url, options.policy).href;
  } catch (err) {
    if (!isVerificationError(err)) throw err;
    return { kind: 'invalid', reason: `project.git_http_url: ${err.message} (${err.code})`, path: 'project.git_http_url' };
  }
  const pusher = {
    ...(p.user_id != null && { id: p.user_id }),
    ...(p.user_name != null && { name: p.user_name }),
    ...(p.user_username != null && { username: p.user_username }),
    ...(p.user_email != null && { email: p.user_email }),
  };
  return {
    kind: 'tag-push',
    event: {
      repo,
      tag,
      version: name.version,
      tagObject: p.after,
      commit: p.checkout_sha ?? undefined,
      project: p.project.path_with_namespace,
      pusher,
    },
  };
}
