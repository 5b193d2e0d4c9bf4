/**
 * A small HTTP client of a class hub, acting as one student would in a browser (cookies, the hub's login form,
 * the OAuth hand-over to the student's own server, the XSRF token of its API). For scripts, tests and the
 * class benchmark; students use the browser.
 */

/** A response, with the body read as text. */
export interface HubResponse {
  status: number;
  url: string;
  text: string;
}

/** One user's session with a hub. */
export class HubSession {
  private readonly cookies = new Map<string, string>();

  /**
   * @param base The hub's address, e.g. http://127.0.0.1:8000/
   * @param user The user name this session logs in as.
   */
  constructor(readonly base: string, readonly user: string) {}

  private absolute(url: string): string {
    return new URL(url, this.base).toString();
  }

  private store(res: Response): void {
    // Node's fetch has Headers.getSetCookie (one entry per Set-Cookie header); the DOM typings lack it.
    for (const c of (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(c) || value === '""') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** The value of a cookie the hub or the student's server set (e.g. `_xsrf`). */
  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /**
   * Sends a request with this session's cookies and follows redirects (up to 20), keeping cookies on the way.
   *
   * @example
   * const r = await session.request('/hub/home');
   */
  async request(url: string, init: { method?: string; body?: string; headers?: Record<string, string>; follow?: boolean } = {}): Promise<HubResponse> {
    let current = this.absolute(url);
    let method = init.method ?? 'GET';
    let body = init.body;
    for (let hop = 0; hop < 20; hop++) {
      const headers: Record<string, string> = { ...(init.headers ?? {}), Referer: current };
      if (this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(current, { method, body, headers, redirect: 'manual' });
      this.store(res);
      const location = res.headers.get('location');
      if (init.follow !== false && location && res.status >= 300 && res.status < 400) {
        await res.arrayBuffer();
        current = new URL(location, current).toString();
        if (res.status !== 307 && res.status !== 308) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      return { status: res.status, url: current, text: await res.text() };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /**
   * Logs in through the hub's login form. Throws when the hub refuses.
   *
   * @example
   * await new HubSession('http://127.0.0.1:8000/', 'alice').login('class-password');
   */
  async login(password: string): Promise<void> {
    const form = new URLSearchParams({ username: this.user, password }).toString();
    const r = await this.request('hub/login', { method: 'POST', body: form, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, follow: false });
    if (r.status !== 302) throw new Error(`${this.user} could not log in (${r.status}): ${r.text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 200)}`);
  }

  /**
   * Asks for the user's server and waits until its lab page is served (the hub spawns it at the first request).
   * Resolves with the seconds that took.
   *
   * @example
   * const seconds = await session.openLab();
   */
  async openLab(timeoutMs = 120_000): Promise<number> {
    const t0 = performance.now();
    await this.request('hub/spawn');
    for (;;) {
      const r = await this.request(`user/${this.user}/lab`);
      if (r.status === 200 && new URL(r.url).pathname === `/user/${this.user}/lab` && /optilab lab/.test(r.text)) return (performance.now() - t0) / 1000;
      if (performance.now() - t0 > timeoutMs) throw new Error(`${this.user}'s lab was not ready after ${timeoutMs / 1000} s (last: ${r.status} ${r.url})`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  /**
   * A request to the user's own server's API (`/user/<name>/<path>`), with the XSRF header its cookies need.
   * Resolves with the parsed JSON (or throws with the status and message).
   *
   * @example
   * const kernel = await session.api('api/kernels', { method: 'POST', body: { name: 'tslab' } });
   */
  async api<T = unknown>(path: string, init: { method?: string; body?: unknown; user?: string } = {}): Promise<T> {
    const r = await this.apiRaw(path, init);
    if (r.status >= 300) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
    return (r.text ? JSON.parse(r.text) : null) as T;
  }

  /** Like `api`, but resolves with the raw response whatever its status (`user` targets another user's server). */
  apiRaw(path: string, init: { method?: string; body?: unknown; user?: string } = {}): Promise<HubResponse> {
    const xsrf = this.cookie('_xsrf');
    return this.request(`user/${init.user ?? this.user}/${path}`, {
      method: init.method,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      headers: { 'Content-Type': 'application/json', ...(xsrf ? { 'X-XSRFToken': xsrf } : {}) },
    });
  }
}
