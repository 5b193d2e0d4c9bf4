// The queue's Redis connections (src/grader/engine/queue-connection.ts, ioredis) against a real redis-server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { checkRedis, openRedis } from '../../src/grader/engine/queue-connection';
import { RedisServer, startRedis } from './redis-server';

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const open = (url = redis.url, name?: string): Promise<Redis> => openRedis(url, { connectionName: name });

test('values round-trip byte for byte (binary, unicode, CRLF, 2 MB), replies stay in order when pipelined', async () => {
  const c = await open();
  try {
    const odd = 'line1\r\nline2 ünïcødé 🎓 $5\r\n*3\r\n';
    assert.equal(await c.call('SET', 'k', odd), 'OK');
    assert.equal(await c.call('GET', 'k'), odd);
    const big = 'x'.repeat(2 * 2 ** 20) + 'end';
    await c.call('SET', 'big', big);
    assert.equal(await c.call('GET', 'big'), big);
    await c.call('SET', 'buf', Buffer.from('raw bytes'));
    assert.equal(await c.call('GET', 'buf'), 'raw bytes');
    assert.equal(await c.call('GET', 'missing'), null);
    const replies = await Promise.all(Array.from({ length: 1000 }, () => c.call('INCR', 'n')));
    assert.deepEqual(replies, Array.from({ length: 1000 }, (_, i) => i + 1));
    await c.call('HSET', 'h', 'a', '1', 'b', '2');
    assert.deepEqual(await c.call('HGETALL', 'h'), ['a', '1', 'b', '2']);
  } finally {
    c.disconnect();
  }
});

test('error replies reject with the server message; a transaction reports its failed command in place', async () => {
  const c = await open();
  try {
    await assert.rejects(c.call('NOSUCHCOMMAND'), (e: Error) => e.name === 'ReplyError' && /unknown command/i.test(e.message));
    await assert.rejects(c.call('EVALSHA', '0'.repeat(40), '0'), /NOSCRIPT/);
    assert.equal(await c.call('PING'), 'PONG', 'the connection is still usable');
    await c.call('SET', 's', 'text');
    const exec = (await c.multi().incr('s').set('t', '1').exec())!;
    assert.ok(exec[0][0] instanceof Error && /not an integer/.test(exec[0][0].message));
    assert.equal(exec[1][1], 'OK');
  } finally {
    c.disconnect();
  }
});

test('database number, connection name, password: from the URL; a wrong password is explained', async () => {
  const c = await open(`${redis.url}/3`, 'optilab-test');
  const admin = await open();
  try {
    await c.call('SET', 'only-in-3', '1');
    assert.equal(await admin.call('GET', 'only-in-3'), null);
    assert.match(String(await admin.call('CLIENT', 'LIST')), /name=optilab-test .*db=3/);
    await admin.call('CONFIG', 'SET', 'requirepass', 'sekret');
    await assert.rejects(checkRedis(redis.url), /cannot reach the grading queue at redis:\/\/127\.0\.0\.1:\d+ .*put the password in the URL/);
    await assert.rejects(checkRedis(redis.url.replace('//', '//:wrong@')), /put the password in the URL/);
    assert.match((await checkRedis(redis.url.replace('//', '//:sekret@'))).version, /^\d+\.\d+/);
  } finally {
    await admin.call('CONFIG', 'SET', 'requirepass', '');
    c.disconnect();
    admin.disconnect();
  }
});

test('a server that cannot be reached is explained with the URL and the fix', async () => {
  const dead = await startRedis();
  await dead.stop();
  await assert.rejects(checkRedis(dead.url, 1000), new RegExp(`cannot reach the grading queue at redis://127\\.0\\.0\\.1:${dead.port} \\(ECONNREFUSED\\): start Redis there`));
  await assert.rejects(openRedis(dead.url, { reconnect: false, connectTimeoutMs: 1000 }), /ECONNREFUSED/);
});

test('a connection the server drops reports the close, reconnects by itself (name and db kept), and the command in flight completes', async () => {
  const c = await open(`${redis.url}/2`, 'to-be-killed');
  const admin = await open();
  const pusher = await open(`${redis.url}/2`);
  try {
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    const id = String(await c.call('CLIENT', 'ID'));
    const blocked = c.call('BLPOP', 'never', '0').then((v) => v, (e: Error) => e);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await admin.call('CLIENT', 'KILL', 'ID', id), 1);
    await closed;
    assert.notEqual(c.status, 'ready');
    await new Promise<void>((r) => c.once('ready', () => r()));
    await new Promise((r) => setTimeout(r, 100));
    await admin.call('LPUSH', 'never', 'x'); // db 0: the blocked pop (in db 2) stays blocked
    await pusher.call('LPUSH', 'never', 'v');
    assert.deepEqual(await blocked, ['never', 'v'], 'the blocked command was sent again on the new connection');
    assert.equal(await c.call('PING'), 'PONG');
    assert.notEqual(String(await c.call('CLIENT', 'ID')), id, 'a new connection');
    assert.match(String(await admin.call('CLIENT', 'LIST')), /name=to-be-killed .*db=2/);
  } finally {
    c.disconnect();
    admin.disconnect();
    pusher.disconnect();
  }
});
