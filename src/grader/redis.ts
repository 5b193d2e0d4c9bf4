/**
 * A small Redis client for the grading queue: RESP2 over one TCP connection, replies in order.
 *
 * Why it exists: BullMQ 6.7 ships without a Redis driver (ioredis and node-redis are optional peer dependencies,
 * and neither is in this project's lockfile). BullMQ talks to any client through its adapters; this connection
 * has the shape its Bun adapter drives (`connect`, `send(command, args)`, `close`, `duplicate`, `connected`,
 * `onconnect`, `onclose`), so BullMQ's own `createBunRedisClient` maps every command, Lua script (EVALSHA with
 * an EVAL fallback), MULTI/EXEC transaction, blocking BZPOPMIN and reconnect for us. {@link useForBullmq} installs
 * it as BullMQ's client factory. No command is retried here: BullMQ and the grader decide what to do after a
 * lost connection (the adapter reconnects with back-off; unfinished jobs are retried by the queue).
 */
import * as net from 'net';

/** Where a Redis server is and how to log in. */
export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

/** An error reply of the server (e.g. `NOSCRIPT ...`, `WRONGPASS ...`). */
export class RedisReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisReplyError';
  }
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

/** The URL of a target without its password (for messages and logs). */
export function describeTarget(t: RedisTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `redis://${t.username || t.password ? `${t.username ?? ''}:***@` : ''}${host}:${t.port}${t.db ? `/${t.db}` : ''}`;
}

type Reply = string | number | null | RedisReplyError | Reply[];

/** Parses one reply starting at `pos`; null when the buffer does not hold all of it yet. */
function parseReply(b: Buffer, pos: number): { value: Reply; next: number } | null {
  if (pos >= b.length) return null;
  const nl = b.indexOf('\r\n', pos);
  if (nl < 0) return null;
  const type = b[pos];
  const line = b.toString('utf8', pos + 1, nl);
  switch (type) {
    case 0x2b: // + simple string
      return { value: line, next: nl + 2 };
    case 0x2d: // - error
      return { value: new RedisReplyError(line), next: nl + 2 };
    case 0x3a: // : integer
      return { value: Number(line), next: nl + 2 };
    case 0x24: {
      // $ bulk string
      const n = Number(line);
      if (n < 0) return { value: null, next: nl + 2 };
      const end = nl + 2 + n;
      if (end + 2 > b.length) return null;
      return { value: b.toString('utf8', nl + 2, end), next: end + 2 };
    }
    case 0x2a: {
      // * array
      const n = Number(line);
      if (n < 0) return { value: null, next: nl + 2 };
      const items: Reply[] = [];
      let p = nl + 2;
      for (let i = 0; i < n; i++) {
        const r = parseReply(b, p);
        if (!r) return null;
        items.push(r.value);
        p = r.next;
      }
      return { value: items, next: p };
    }
    default:
      throw new Error(`unexpected byte 0x${type.toString(16)} in a Redis reply (is this port a Redis server?)`);
  }
}

/** Encodes one command as a RESP array of bulk strings. */
function encodeCommand(parts: (string | Buffer)[]): Buffer {
  const chunks: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const data = Buffer.isBuffer(p) ? p : Buffer.from(String(p), 'utf8');
    chunks.push(Buffer.from(`$${data.length}\r\n`), data, Buffer.from('\r\n'));
  }
  return Buffer.concat(chunks);
}

/** Options of one connection. */
export interface RespOptions {
  /** CLIENT SETNAME on connect (BullMQ finds its workers by connection name). */
  connectionName?: string;
  connectTimeoutMs?: number;
}

/**
 * One Redis connection. `send` pipelines: commands are written at once and their replies matched in order.
 *
 * @example
 * const r = new RespConnection(parseRedisUrl('redis://127.0.0.1:6379'));
 * await r.connect();
 * await r.send('SET', ['k', 'v']); // 'OK'
 * r.close();
 */
export class RespConnection {
  connected = false;
  /** Called once the connection is open and logged in (before `connect()` resolves). */
  onconnect: (() => void) | null = null;
  /** Called when an open connection closes: with the reason when it was not closed by `close()`. */
  onclose: ((error?: Error) => void) | null = null;
  onerror: ((error: Error) => void) | null = null;
  private socket: net.Socket | null = null;
  private pending: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private connecting: Promise<void> | null = null;
  private closedByUs = false;

  constructor(
    readonly target: RedisTarget,
    private readonly opts: RespOptions = {},
  ) {}

  /** Opens the connection (AUTH, SELECT and CLIENT SETNAME as configured). Rejects when the server cannot be reached. */
  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.connecting) return this.connecting;
    this.closedByUs = false;
    this.connecting = new Promise<void>((resolve, reject) => {
      const s = net.createConnection({ host: this.target.host, port: this.target.port });
      let lastError: Error | undefined;
      let opened = false;
      const timer = setTimeout(() => s.destroy(new Error(`no answer within ${this.opts.connectTimeoutMs ?? 10_000} ms`)), this.opts.connectTimeoutMs ?? 10_000);
      s.setNoDelay(true);
      s.on('data', (d: Buffer) => this.onData(d));
      s.on('error', (e) => {
        lastError = e;
      });
      s.on('close', () => {
        clearTimeout(timer);
        const wasConnected = this.connected;
        this.connected = false;
        this.socket = null;
        this.buffer = Buffer.alloc(0);
        const err = new Error(`Connection closed${lastError ? ` (${lastError.message})` : ''}`);
        for (const p of this.pending.splice(0)) p.reject(err);
        if (!opened) {
          this.connecting = null;
          reject(lastError ?? err);
        } else if (wasConnected) this.onclose?.(this.closedByUs ? undefined : err);
      });
      s.once('connect', () => {
        this.socket = s;
        s.setKeepAlive(true, 10_000);
        const handshake: (string | Buffer)[][] = [];
        if (this.target.password !== undefined) handshake.push(this.target.username ? ['AUTH', this.target.username, this.target.password] : ['AUTH', this.target.password]);
        if (this.target.db) handshake.push(['SELECT', String(this.target.db)]);
        if (this.opts.connectionName) handshake.push(['CLIENT', 'SETNAME', this.opts.connectionName]);
        Promise.all(handshake.map((c) => this.call(c))).then(
          () => {
            clearTimeout(timer);
            opened = true;
            this.connected = true;
            this.connecting = null;
            this.onconnect?.();
            resolve();
          },
          (e: Error) => {
            lastError = e;
            s.destroy();
          },
        );
      });
    });
    return this.connecting;
  }

  private onData(d: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, d]) : d;
    let pos = 0;
    try {
      for (;;) {
        const r = parseReply(this.buffer, pos);
        if (!r) break;
        pos = r.next;
        const p = this.pending.shift();
        if (!p) continue;
        if (r.value instanceof RedisReplyError) p.reject(r.value);
        else p.resolve(r.value);
      }
    } catch (e) {
      this.socket?.destroy(e as Error);
      return;
    }
    this.buffer = pos >= this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(pos);
  }

  private call(parts: (string | Buffer)[]): Promise<any> {
    const s = this.socket;
    if (!s || s.destroyed) return Promise.reject(new Error('Connection closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      s.write(encodeCommand(parts));
    });
  }

  /** Runs one command; resolves with its reply (strings, numbers, null, arrays), rejects on an error reply. */
  send(command: string, args: (string | Buffer | number)[] = []): Promise<any> {
    if (!this.connected) return Promise.reject(new Error('Connection closed'));
    return this.call([command, ...args.map((a) => (Buffer.isBuffer(a) ? a : String(a)))]);
  }

  /** Closes the connection; commands still waiting are rejected with 'Connection closed'. */
  close(): void {
    this.closedByUs = true;
    this.socket?.destroy();
  }

  /** A new, unopened connection to the same server with the same options. */
  duplicate(): RespConnection {
    return new RespConnection(this.target, this.opts);
  }
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
  const c = new RespConnection(target, { connectTimeoutMs: timeoutMs });
  try {
    await c.connect();
    await c.send('PING');
    const info = String(await c.send('INFO', ['server']));
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
    c.close();
  }
}

/** BullMQ's module, loaded on first use (so that `import 'optilab'` never loads it). */
export type Bullmq = typeof import('bullmq');

let installed: Bullmq | null = null;

/**
 * Loads BullMQ and makes it use {@link RespConnection} for every connection it opens (its client factory).
 * BullMQ passes each connection's options (host, port, db, password, connectionName) to the factory.
 *
 * @example
 * const bullmq = useForBullmq();
 * const queue = new bullmq.Queue('optilab-grade', { connection: bullmqConnection('redis://127.0.0.1:6379') });
 */
export function useForBullmq(): Bullmq {
  if (installed) return installed;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const bullmq = require('bullmq') as Bullmq;
  bullmq.RedisConnection.clientFactory = (opts) => {
    const target: RedisTarget = { host: opts.host ?? '127.0.0.1', port: opts.port ?? 6379, db: opts.db ?? 0, ...(opts.username ? { username: opts.username } : {}), ...(opts.password ? { password: opts.password } : {}) };
    const raw = new RespConnection(target, { connectionName: opts.connectionName });
    return bullmq.createBunRedisClient(raw as never);
  };
  installed = bullmq;
  return bullmq;
}

/**
 * BullMQ connection options for `url` (give them to Queue, Worker and QueueEvents after {@link useForBullmq}).
 *
 * @example
 * bullmqConnection('redis://:secret@10.0.0.5:6380') // { host: '10.0.0.5', port: 6380, db: 0, password: 'secret', ... }
 */
export function bullmqConnection(url: string): { host: string; port: number; db: number; username?: string; password?: string; maxRetriesPerRequest: null } {
  const t = parseRedisUrl(url);
  return { ...t, maxRetriesPerRequest: null };
}
