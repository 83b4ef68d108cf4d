// A throwaway PostgreSQL server for tests: Debian's own server binaries
// (package `postgresql`, installed by scripts/setup.sh), a fresh cluster made
// by initdb in a temporary directory, listening on 127.0.0.1 at a free port
// and on a Unix socket in that same directory, stopped and deleted afterwards.
// initdb and postgres refuse to run as root, so as root the cluster is run as
// Debian's `postgres` system user. Missing binaries are an error, not a skip:
// the PostgreSQL store must be tested wherever the suite runs.
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** The URL of the `postgres` database, as the superuser `postgres`. */
  readonly url: string;
  readonly port: number;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Debian installs each major version's server under /usr/lib/postgresql/N/bin; take the newest. */
export function findPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^[0-9]+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      "PostgreSQL server binaries not found (no /usr/lib/postgresql/N/bin/initdb): install Debian's postgresql package " +
        '(`apt-get install postgresql`; scripts/setup.sh does) to run the PostgreSQL store tests',
    );
  }
  return join(root, newest, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Ids {
  uid: number;
  gid: number;
}

/** As root: the ids of Debian's `postgres` user (the postgresql package creates it). */
function runAsIds(): Ids | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const fields = line?.split(':');
  if (fields === undefined || fields.length < 4) {
    throw new Error("running as root, but there is no `postgres` user to run the test server as: install Debian's postgresql package");
  }
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

function run(file: string, args: string[], ids: Ids | undefined, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')} exited with ${String(code)}:\n${output.slice(-4000)}`)),
    );
  });
}

/**
 * Starts a server. fsync stays on by default so that timings are those of a
 * durable server; pass `durable: false` for speed when timings do not matter.
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  const ids = runAsIds();
  const dir = mkdtempSync(join(tmpdir(), 't2u-pg-'));
  if (ids !== undefined) chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  let started = false;
  try {
    await run(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'],
      ids,
      dir,
    );
    let port = 0;
    for (let attempt = 0; attempt < 3 && !started; attempt++) {
      port = await freePort();
      const serverOptions = [
        `-p ${port}`,
        "-c listen_addresses='127.0.0.1'",
        `-c unix_socket_directories='${dir}'`,
        '-c max_connections=200',
        ...(options.durable === false ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'] : []),
      ].join(' ');
      try {
        await run(join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-w', '-t', '30', '-o', serverOptions, 'start'], ids, dir);
        started = true;
      } catch (error) {
        // Another process may have taken the port between freePort and start.
        if (attempt === 2) throw error;
      }
    }
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const stop = async (): Promise<void> => {
      try {
        await run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], ids, dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    return {
      url,
      port,
      async createDatabase(name: string): Promise<string> {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`);
        } finally {
          await client.end();
        }
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      stop,
    };
  } catch (error) {
    if (started) await run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], ids, dir).catch(() => undefined);
    const logText = existsSync(log) ? `\nserver log:\n${readFileSync(log, 'utf8').slice(-4000)}` : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start a test PostgreSQL server: ${(error as Error).message}${logText}`, { cause: error });
  }
}
