/**
 * The grading queue's Redis connections: its URL (`redis://[[user]:password@]host[:port][/db]`), a check that the
 * server is there and new enough, and the clients BullMQ and the worker use. The client is `ioredis`, the driver
 * BullMQ is built and tested on; BullMQ loads it itself when given connection options. Both are loaded on first
 * use only, so `import 'optilab'` and the CLI's command table never load them.
 */
import type { Redis, RedisOptions } from 'ioredis';

/** Where a Redis server is and how to log in. */
export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

/**
 * Parses `redis://[[user]:password@]host[:port][/db]` (port 6379 and db 0 by default).
 *
 * @example
 * parseRedisUrl('redis://10.0.0.5:6380/2') // { host: '10.0.0.5', port: 6380, db: 2 }
 */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`'${url}' is not a Redis URL: write it as redis://host:port (e.g. redis://127.0.0.1:6379)`);
  }
  if (u.protocol !== 'redis:') {
    throw new Error(`'${url}' is not a Redis URL: it must start with redis:// (rediss:// with TLS is not supported)`);
  }
  if (!u.hostname) throw new Error(`'${url}' names no host: write it as redis://host:port`);
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText ? Number(dbText) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`'${url}': the database number after the / must be a whole number`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

/**
 * The URL of a target without its password (for messages and logs).
 *
 * @example
 * describeTarget(parseRedisUrl('redis://:pw@h:1/3')) // 'redis://:***@h:1/3'
 */
export function describeTarget(t: RedisTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `redis://${t.username || t.password ? `${t.username ?? ''}:***@` : ''}${host}:${t.port}${t.db ? `/${t.db}` : ''}`;
}

/** Options of {@link openRedis}. */
export interface OpenRedisOptions {
  /** CLIENT SETNAME on connect. */
  connectionName?: string;
  /** Give up connecting after this long. Default 10 s. */
  connectTimeoutMs?: number;
  /** Reconnect after a lost connection (back-off up to 2 s) and hold commands meanwhile. Default true; false for one-shot checks. */
  reconnect?: boolean;
}

/**
 * An ioredis client for `url`, connected (AUTH, SELECT and CLIENT SETNAME done). Rejects when the server cannot
 * be reached or refuses the login; the caller closes it with `quit()` or `disconnect()`.
 *
 * @example
 * const r = await openRedis('redis://127.0.0.1:6379');
 * await r.set('k', 'v');
 * r.disconnect();
 */
export async function openRedis(url: string, o: OpenRedisOptions = {}): Promise<Redis> {
  const t = parseRedisUrl(url);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Redis: Client } = require('ioredis') as typeof import('ioredis');
  const opts: RedisOptions = {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username ? { username: t.username } : {}),
    ...(t.password ? { password: t.password } : {}),
    ...(o.connectionName ? { connectionName: o.connectionName } : {}),
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    lazyConnect: true,
    // while reconnecting, commands wait in ioredis's queue (up to 20 reconnect attempts, about 40 s)
    enableOfflineQueue: o.reconnect !== false,
    maxRetriesPerRequest: o.reconnect === false ? 0 : 20,
    retryStrategy: o.reconnect === false ? () => null : (n) => Math.min(n * 200, 2000),
  };
  const client = new Client(opts);
  // ioredis reports why a connection failed (ECONNREFUSED, WRONGPASS) as an 'error' event, and rejects
  // connect() with a bare 'Connection is closed.': keep the first and throw it instead
  let why: Error | undefined;
  client.on('error', (e: Error) => (why ??= e));
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw why ?? e;
  }
  return client;
}

/**
 * Connects to `url`, checks that it is a Redis server BullMQ can use (PING, version >= 5), and closes.
 * Throws an error that says which URL failed and what to do.
 *
 * @example
 * const { version } = await checkRedis('redis://127.0.0.1:6379');
 */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<{ version: string }> {
  const target = parseRedisUrl(url);
  const where = describeTarget(target);
  let c: Redis | undefined;
  try {
    c = await openRedis(url, { connectTimeoutMs: timeoutMs, reconnect: false });
    await c.ping();
    const info = await c.info('server');
    const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? '0';
    if (Number(version.split('.')[0]) < 5) throw new Error(`the grading queue at ${where} runs Redis ${version}; BullMQ needs Redis 5 or newer (Debian 12's redis-server is 7.0)`);
    return { version };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.message.startsWith('the grading queue')) throw err;
    const why = err.code ?? err.message;
    const fix = /NOAUTH|WRONGPASS|invalid password|AUTH/i.test(err.message)
      ? 'put the password in the URL: redis://:PASSWORD@host:port'
      : `start Redis there (e.g. \`redis-server --port ${target.port} --bind 0.0.0.0\` on the queue machine) or pass the right --queue redis://host:port`;
    throw new Error(`cannot reach the grading queue at ${where} (${why}): ${fix}`);
  } finally {
    c?.disconnect();
  }
}

/** BullMQ's module, loaded on first use (so that `import 'optilab'` never loads it). */
export type Bullmq = typeof import('bullmq');

/**
 * Loads BullMQ (which opens its connections with ioredis).
 *
 * @example
 * const bullmq = loadBullmq();
 * const queue = new bullmq.Queue('optilab-grade', { connection: bullmqConnection('redis://127.0.0.1:6379') });
 */
export function loadBullmq(): Bullmq {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('bullmq') as Bullmq;
}

/**
 * BullMQ connection options for `url` (give them to Queue, Worker and QueueEvents).
 *
 * @example
 * bullmqConnection('redis://:secret@10.0.0.5:6380') // { host: '10.0.0.5', port: 6380, db: 0, password: 'secret', maxRetriesPerRequest: null }
 */
export function bullmqConnection(url: string): RedisTarget & { maxRetriesPerRequest: null } {
  return { ...parseRedisUrl(url), maxRetriesPerRequest: null };
}
