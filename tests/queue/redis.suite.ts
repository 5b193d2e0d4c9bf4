// The queue's Redis connection (src/grader/redis.ts) against a real redis-server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRedis, parseRedisUrl, RedisReplyError, RespConnection } from '../../src/grader/redis';
import { RedisServer, startRedis } from './redis-server';

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

async function open(url = redis.url, name?: string): Promise<RespConnection> {
  const c = new RespConnection(parseRedisUrl(url), { connectionName: name });
  await c.connect();
  return c;
}

test('values round-trip byte for byte (binary, unicode, CRLF, 2 MB), replies stay in order when pipelined', async () => {
  const c = await open();
  try {
    const odd = 'line1\r\nline2 ünïcødé 🎓 $5\r\n*3\r\n';
    assert.equal(await c.send('SET', ['k', odd]), 'OK');
    assert.equal(await c.send('GET', ['k']), odd);
    const big = 'x'.repeat(2 * 2 ** 20) + 'end';
    await c.send('SET', ['big', big]);
    assert.equal(await c.send('GET', ['big']), big);
    await c.send('SET', ['buf', Buffer.from('raw bytes')]);
    assert.equal(await c.send('GET', ['buf']), 'raw bytes');
    assert.equal(await c.send('GET', ['missing']), null);
    const replies = await Promise.all(Array.from({ length: 1000 }, () => c.send('INCR', ['n'])));
    assert.deepEqual(replies, Array.from({ length: 1000 }, (_, i) => i + 1));
    await c.send('HSET', ['h', 'a', '1', 'b', '2']);
    assert.deepEqual(await c.send('HGETALL', ['h']), ['a', '1', 'b', '2']);
  } finally {
    c.close();
  }
});

test('error replies reject with the server message; a transaction reports its failed command in place', async () => {
  const c = await open();
  try {
    await assert.rejects(c.send('NOSUCHCOMMAND'), (e: Error) => e instanceof RedisReplyError && /unknown command/i.test(e.message));
    await assert.rejects(c.send('EVALSHA', ['0'.repeat(40), '0']), /NOSCRIPT/);
    assert.equal(await c.send('PING'), 'PONG', 'the connection is still usable');
    await c.send('SET', ['s', 'text']);
    void c.send('MULTI');
    void c.send('INCR', ['s']);
    void c.send('SET', ['t', '1']);
    const exec = (await c.send('EXEC')) as unknown[];
    assert.ok(exec[0] instanceof RedisReplyError && /not an integer/.test((exec[0] as Error).message));
    assert.equal(exec[1], 'OK');
  } finally {
    c.close();
  }
});

test('database number, connection name, password: from the URL; a wrong password is explained', async () => {
  const c = await open(`${redis.url}/3`, 'optilab-test');
  const admin = await open();
  try {
    await c.send('SET', ['only-in-3', '1']);
    assert.equal(await admin.send('GET', ['only-in-3']), null);
    assert.match(String(await admin.send('CLIENT', ['LIST'])), /name=optilab-test .*db=3/);
    await admin.send('CONFIG', ['SET', 'requirepass', 'sekret']);
    await assert.rejects(checkRedis(redis.url), /cannot reach the grading queue at redis:\/\/127\.0\.0\.1:\d+ .*put the password in the URL/);
    await assert.rejects(checkRedis(redis.url.replace('//', '//:wrong@')), /put the password in the URL/);
    assert.match((await checkRedis(redis.url.replace('//', '//:sekret@'))).version, /^\d+\.\d+/);
  } finally {
    await admin.send('CONFIG', ['SET', 'requirepass', '']);
    c.close();
    admin.close();
  }
});

test('a connection the server drops rejects what was in flight and reports the close; a duplicate connects again', async () => {
  const c = await open(redis.url, 'to-be-killed');
  const admin = await open();
  try {
    const closed = new Promise<Error | undefined>((r) => (c.onclose = r));
    const id = String(await c.send('CLIENT', ['ID']));
    const blocked = c.send('BLPOP', ['never', '0']).then(() => null, (e: Error) => e);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await admin.send('CLIENT', ['KILL', 'ID', id]), 1);
    assert.match(String((await blocked)?.message), /^Connection closed/);
    assert.match(String((await closed)?.message), /Connection closed/);
    assert.equal(c.connected, false);
    await assert.rejects(c.send('PING'), /Connection closed/);
    const again = c.duplicate();
    await again.connect();
    assert.equal(await again.send('PING'), 'PONG');
    again.close();
  } finally {
    c.close();
    admin.close();
  }
});
