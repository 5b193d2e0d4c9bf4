/** Local TCP ports for the hub: a free one for its internal APIs, and a check that the public one is free. */
import * as net from 'net';

/**
 * Resolves whether `port` on `host` can be listened on right now.
 *
 * @example
 * if (!(await portFree(8000))) console.error('port 8000 is in use');
 */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A port on 127.0.0.1 that is free right now (the kernel picks it).
 *
 * @example
 * const hubApiPort = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
