import { describe, expect, it } from 'vitest';
import { interpretGitlabHook } from '../../src/server/intake/gitlab-payload.js';
import {
  PUSH_FIXTURE,
  SYSTEM_PROJECT_CREATE_FIXTURE,
  SYSTEM_PUSH_FIXTURE,
  SYSTEM_TAG_PUSH_FIXTURE,
  TAG_PUSH_FIXTURE,
  tagPushBody,
} from './intake-helpers.js';

const TAG = 'Tag Push Hook';
const opts = { policy: { allowHttpLoopback: false } };
const parse = (s: string): unknown => JSON.parse(s);

/** The tag push event of GitLab's documented examples (project jsmith/example, pushed by John Smith, tag object 82b3d5a…) for `tag`. */
const documentedPush = (tag: string, version: string, commit: string) => ({
  kind: 'tag-push',
  event: {
    repo: 'https://salsa.debian.org/jsmith/example.git',
    tag,
    version,
    tagObject: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
    commit,
    project: 'jsmith/example',
    pusher: { id: 1, name: 'John Smith' },
  },
});

describe('interpretGitlabHook', () => {
  it('turns the documented Tag Push Hook, with a debian/ ref, into a tag push event', () => {
    const result = interpretGitlabHook(TAG, parse(tagPushBody({ ref: 'refs/tags/debian/1%2.0_rc1-1' })), opts);
    expect(result).toEqual(documentedPush('debian/1%2.0_rc1-1', '1:2.0~rc1-1', '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7'));
  });

  it('ignores the documented payload as is: v1.0.0 is not a DEP-14 debian/ tag', () => {
    const result = interpretGitlabHook(TAG, parse(TAG_PUSH_FIXTURE), opts);
    expect(result).toEqual({ kind: 'ignored', reason: expect.stringContaining('refs/tags/v1.0.0') as string });
  });

  it('ignores other events, including the documented Push Hook', () => {
    expect(interpretGitlabHook('Push Hook', parse(PUSH_FIXTURE), opts)).toMatchObject({
      kind: 'ignored',
      reason: expect.stringMatching(/Push Hook/) as string,
    });
    expect(interpretGitlabHook(undefined, parse(tagPushBody()), opts)).toMatchObject({ kind: 'ignored' });
  });

  it('ignores a tag deletion (after is all zeros)', () => {
    const body = parse(tagPushBody({ before: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7', after: '0'.repeat(40) })) as Record<
      string,
      unknown
    >;
    body['checkout_sha'] = null;
    expect(interpretGitlabHook(TAG, body, opts)).toEqual({ kind: 'ignored', reason: 'tag deletion of refs/tags/debian/1.0-1' });
  });

  it('ignores tag names that git or tag2upload refuse', () => {
    for (const ref of [
      'refs/tags/debian/1.0..1',
      'refs/tags/debian/1.0.lock',
      'refs/tags/debian/1:2.0-1',
      'refs/tags/debian/',
      'refs/tags/debian/1.0~1',
    ]) {
      expect(interpretGitlabHook(TAG, parse(tagPushBody({ ref })), opts)).toMatchObject({ kind: 'ignored' });
    }
    expect(interpretGitlabHook(TAG, parse(tagPushBody({ ref: 'refs/heads/debian/1.0-1' })), opts)).toMatchObject({ kind: 'ignored' });
    expect(interpretGitlabHook(TAG, parse(tagPushBody({ ref: 'refs/tags/upstream/1.0' })), opts)).toMatchObject({ kind: 'ignored' });
  });

  it('rejects a body without the documented shape, naming the field', () => {
    const cases: [unknown, string][] = [
      [{ ...(parse(tagPushBody()) as object), object_kind: 'push' }, 'object_kind'],
      [{ ...(parse(tagPushBody()) as object), after: 'not-hex' }, 'after'],
      [{ ...(parse(tagPushBody()) as object), project: { path_with_namespace: 'a/b' } }, 'project.git_http_url'],
      [[], ''],
      [null, ''],
    ];
    for (const [body, path] of cases) {
      expect(interpretGitlabHook(TAG, body, opts)).toMatchObject({ kind: 'invalid', path });
    }
  });

  it('accepts https only; http only to loopback when allowed', () => {
    // GitLab's documented example itself uses http://example.com.
    expect(interpretGitlabHook(TAG, parse(tagPushBody({ url: 'http://example.com/jsmith/example.git' })), opts)).toMatchObject({
      kind: 'invalid',
      path: 'project.git_http_url',
      reason: expect.stringMatching(/UNSUPPORTED_URL/) as string,
    });
    expect(
      interpretGitlabHook(TAG, parse(tagPushBody({ url: 'http://example.com/jsmith/example.git' })), {
        policy: { allowHttpLoopback: true },
      }),
    ).toMatchObject({ kind: 'invalid' });
    expect(
      interpretGitlabHook(TAG, parse(tagPushBody({ url: 'http://127.0.0.1:8080/x.git' })), { policy: { allowHttpLoopback: true } }),
    ).toMatchObject({ kind: 'tag-push', event: { repo: 'http://127.0.0.1:8080/x.git' } });
    expect(interpretGitlabHook(TAG, parse(tagPushBody({ url: 'https://user:pw@salsa.debian.org/x.git' })), opts)).toMatchObject({
      kind: 'invalid',
    });
    expect(interpretGitlabHook(TAG, parse(tagPushBody({ url: 'file:///etc' })), opts)).toMatchObject({ kind: 'invalid' });
  });

  // GitLab's system hooks page, "Tag events" (https://docs.gitlab.com/administration/system_hooks/#tag-events,
  // fixtures/gitlab/system-hook-tag-push.json): every event comes as X-Gitlab-Event: System Hook, and
  // the body's event_name says which; the documented tag event has no object_kind.
  describe('system hooks', () => {
    const SYSTEM = 'System Hook';

    it('turns the documented system hook tag_push, with a debian/ ref, into a tag push event', () => {
      const result = interpretGitlabHook(SYSTEM, parse(tagPushBody({}, SYSTEM_TAG_PUSH_FIXTURE)), opts);
      expect(result).toEqual(documentedPush('debian/1.0-1', '1.0-1', '5937ac0a7beb003549fc5fd26fc247adbce4a52e'));
    });

    it('applies the same rules as the project hook: v1.0.0 as documented, deletions, bad names are ignored', () => {
      expect(interpretGitlabHook(SYSTEM, parse(SYSTEM_TAG_PUSH_FIXTURE), opts)).toMatchObject({
        kind: 'ignored',
        reason: expect.stringContaining('refs/tags/v1.0.0') as string,
      });
      expect(interpretGitlabHook(SYSTEM, parse(tagPushBody({ after: '0'.repeat(40) }, SYSTEM_TAG_PUSH_FIXTURE)), opts)).toEqual({
        kind: 'ignored',
        reason: 'tag deletion of refs/tags/debian/1.0-1',
      });
      expect(
        interpretGitlabHook(SYSTEM, parse(tagPushBody({ ref: 'refs/tags/debian/1.0..1' }, SYSTEM_TAG_PUSH_FIXTURE)), opts),
      ).toMatchObject({ kind: 'ignored' });
    });

    it('ignores the other system hook events, naming them: the documented push and project_create', () => {
      expect(interpretGitlabHook(SYSTEM, parse(SYSTEM_PUSH_FIXTURE), opts)).toEqual({
        kind: 'ignored',
        reason: 'system hook event "push" is not a tag_push',
      });
      expect(interpretGitlabHook(SYSTEM, parse(SYSTEM_PROJECT_CREATE_FIXTURE), opts)).toEqual({
        kind: 'ignored',
        reason: 'system hook event "project_create" is not a tag_push',
      });
      // The newer form names the event in object_kind (GitLab's merge request system hook).
      expect(interpretGitlabHook(SYSTEM, { object_kind: 'merge_request' }, opts)).toMatchObject({
        kind: 'ignored',
        reason: expect.stringContaining('merge_request') as string,
      });
      expect(interpretGitlabHook(SYSTEM, {}, opts)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('(none)') as string });
    });

    it('rejects a system hook tag_push without the documented shape, naming the field', () => {
      const body = parse(tagPushBody({}, SYSTEM_TAG_PUSH_FIXTURE)) as Record<string, unknown>;
      expect(interpretGitlabHook(SYSTEM, { ...body, object_kind: 'push' }, opts)).toMatchObject({ kind: 'invalid', path: 'object_kind' });
      expect(interpretGitlabHook(SYSTEM, { ...body, after: 'not-hex' }, opts)).toMatchObject({ kind: 'invalid', path: 'after' });
      expect(interpretGitlabHook(SYSTEM, [], opts)).toMatchObject({ kind: 'invalid', path: '' });
      expect(interpretGitlabHook(SYSTEM, null, opts)).toMatchObject({ kind: 'invalid', path: '' });
    });

    it('a project hook body needs its object_kind: the system hook body sent as a Tag Push Hook is invalid', () => {
      expect(interpretGitlabHook(TAG, parse(tagPushBody({}, SYSTEM_TAG_PUSH_FIXTURE)), opts)).toMatchObject({
        kind: 'invalid',
        path: 'object_kind',
      });
    });
  });
});
