// Loads, validates and freezes the configuration. A bad file fails with the
// field path and the reason, never with a stack trace.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { z, ZodError, ZodTypeAny } from 'zod';
import { UsageError } from '../report/usage-error.js';
import { configSchema, type Config } from './schema.js';

/** A configuration file that cannot be read or does not validate: a usage error (exit 2) that names the field. */
export class ConfigError extends UsageError {
  override readonly name = 'ConfigError';
}

/** Freezes `value` and everything it holds: a parsed configuration is never changed after start-up. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function formatZodError(err: ZodError, file: string): string {
  return err.issues.map((i) => `${file}: ${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`).join('\n');
}

/** Parses `raw` (already JSON-decoded) merged under `overrides`, and freezes the result. */
export function parseConfig(raw: unknown, file: string, overrides: Partial<Config> = {}): Readonly<Config> {
  const merged = isRecord(raw) ? mergeDeep(raw, overrides) : raw;
  return parseWith(configSchema, merged, file);
}

/**
 * Validates `raw` against `schema`, applies `complete` (defaults that depend
 * on other fields) and freezes the result; a failure names each field and why.
 */
export function parseWith<S extends ZodTypeAny>(
  schema: S,
  raw: unknown,
  file: string,
  complete: (value: z.infer<S>) => z.infer<S> = (v) => v,
): Readonly<z.infer<S>> {
  const result = schema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatZodError(result.error, file));
  return deepFreeze(complete(result.data as z.infer<S>));
}

/** Reads a JSON configuration file whose top level is an object. */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  if (!isRecord(raw)) throw new ConfigError(`${path}: (top level): must be a JSON object`);
  return raw;
}

export async function loadConfig(path: string | undefined, overrides: Partial<Config> = {}): Promise<Readonly<Config>> {
  if (path === undefined) return parseConfig({}, 'defaults', overrides);
  return parseConfig(await readConfigFile(path), path, overrides);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeDeep(base: Record<string, unknown>, over: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isRecord(v) && isRecord(b) ? mergeDeep(b, v) : v;
  }
  return out;
}

/**
 * The cache directory (Debian keyrings, builder root filesystems):
 * $T2U_VERIFY_CACHE, else $XDG_CACHE_HOME/t2u-verify, else
 * ~/.cache/t2u-verify, except for root, whose home is usually mode 0700 and
 * so unreachable to the sandbox uid that must read the cache:
 * /var/cache/t2u-verify then.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['T2U_VERIFY_CACHE']) return env['T2U_VERIFY_CACHE'];
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 't2u-verify');
  if (process.getuid?.() === 0) return '/var/cache/t2u-verify';
  return join(homedir(), '.cache', 't2u-verify');
}

/** The configured cache directory, else the default. */
export function cacheDir(config: Pick<Config, 'cacheDir'>): string {
  return config.cacheDir ?? defaultCacheDir();
}
