/** A throwaway redis-server for tests and benchmarks: own port on 127.0.0.1, own temp data folder, no persistence. */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openRedis } from '../../src/grader/engine/queue-connection';
import { freePort } from '../../src/hub/ports';

export { freePort };

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` (Debian package redis-server) and waits until it answers PING.
 *
 * @example
 * const redis = await startRedis(); ... await redis.stop();
 */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'og-redis-'));
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', path.join(dir, 'redis.log')], { stdio: 'ignore' });
  let spawnError: Error | null = null;
  child.on('error', (e) => (spawnError = e));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (spawnError) throw new Error(`cannot start redis-server (${(spawnError as Error).message}): apt-get install redis-server (bash scripts/setup.sh does)`);
    try {
      const c = await openRedis(url, { connectTimeoutMs: 1000, reconnect: false });
      const pong = await c.ping().finally(() => c.disconnect());
      if (pong === 'PONG') break;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    port,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
