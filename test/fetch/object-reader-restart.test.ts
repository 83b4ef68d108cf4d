// A repository's object reader is one long-running git cat-file in a
// sandbox: idle() ends it for a long wait, and objects() starts another when
// the last one has ended (idle, or killed at its time limit), so that a
// verification longer than the limit still reads its objects afterwards.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalRepository } from '../../src/fetch/local-repository.js';

const dir = mkdtempSync(join(tmpdir(), 't2u-reader-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const git = (...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
git('init', '-q');
writeFileSync(join(dir, 'file'), 'content\n');
const blob = git('hash-object', '-w', 'file');

/** The repository opened with a reader limit of `timeoutMs`, given to `fn`, closed after it. */
async function withRepository(timeoutMs: number, fn: (repo: LocalRepository) => Promise<void>): Promise<void> {
  const repo = await LocalRepository.open(dir, { timeoutMs, maxObjectBytes: 1 << 20 });
  try {
    await fn(repo);
  } finally {
    await repo.close();
  }
}

/** The blob's content, read through `reader`. */
const contentVia = async (reader: ReturnType<LocalRepository['objects']>): Promise<string | undefined> =>
  (await reader.read(blob))?.content.toString();

describe('the object reader, started again', () => {
  it('after idle(): the process ends, and the next objects() reads through a new one', () =>
    withRepository(60_000, async (repo) => {
      const first = repo.objects();
      expect(await contentVia(first)).toBe('content\n');
      await repo.idle();
      await expect(first.read(blob)).rejects.toThrow();
      const second = repo.objects();
      expect(second).not.toBe(first);
      expect(await contentVia(second)).toBe('content\n');
      expect(repo.objects()).toBe(second);
    }));

  it('after its time limit killed it: the next objects() reads through a new one', () =>
    withRepository(1_500, async (repo) => {
      const first = repo.objects();
      expect(await contentVia(first)).toBe('content\n');
      // Past the limit, the reader's sandbox is killed.
      await expect
        .poll(
          () =>
            first.read(blob).then(
              () => 'read',
              () => 'failed',
            ),
          { timeout: 20_000, interval: 250 },
        )
        .toBe('failed');
      expect(await contentVia(repo.objects())).toBe('content\n');
    }));

  it('with the time limit its caller gives, past the repository’s own', () =>
    withRepository(1_500, async (repo) => {
      const reader = repo.objects({ timeoutMs: 120_000 });
      expect(await contentVia(reader)).toBe('content\n');
      // Twice the repository's limit later, the same process still reads.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await contentVia(reader)).toBe('content\n');
      expect(repo.objects()).toBe(reader);
    }));

  it('not once the repository is closed', async () => {
    const repo = await LocalRepository.open(dir, { timeoutMs: 60_000, maxObjectBytes: 1 << 20 });
    const reader = repo.objects();
    await repo.close();
    expect(repo.objects()).toBe(reader);
  });
});
