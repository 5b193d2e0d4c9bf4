/**
 * The grading process's side of the trusted tests runner: worker threads running ./checker.js, and the
 * bridge that carries their calls of student functions to the student's kernel (a line-based socket on the
 * kernel's fd 3, answered by ../in-kernel/harness.js) and the answers back through shared memory.
 *
 * Nothing the kernel sends is trusted: an answer is only ever bytes handed to the checker, which decodes
 * them as plain data with size limits; a kernel that floods, stalls or dies makes the calls fail, never the
 * grader.
 */
import { Worker } from 'worker_threads';
import { Socket } from 'net';
import * as path from 'path';
import { graderAssetPath } from '../asset-path';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { LIMITS } = require(graderAssetPath('wire.js')) as { LIMITS: { MAX_BYTES: number } };

/** One check's outcome as the trusted runner reports it. */
export interface CheckRecord {
  name: string;
  points: number;
  earned: number;
  message: string;
  /** A check of a hidden region: its message is never shown to the student. */
  hidden?: boolean;
}

/** The outcome of one trusted program run. */
export interface TrustedRun {
  checks: CheckRecord[];
  /** What stopped the program early (an uncaught error outside the checks), or ''. */
  error: string;
  /** 'ok', or how the student's kernel failed during the run ('timeout', 'died', 'output-limit'). */
  status: 'ok' | 'timeout' | 'died' | 'output-limit';
}

/**
 * The student's kernel as the tests see it: line requests on its call socket, one at a time.
 * Holds at most LIMITS.MAX_BYTES of an unfinished answer; beyond that the kernel is marked as flooding.
 */
export class StudentChannel {
  private buffer = '';
  private waiting: ((line: string | null) => void) | null = null;
  private nextId = 1;
  /** Why the channel can no longer be used ('' while usable). */
  broken: '' | 'died' | 'output-limit' = '';

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('error', () => this.fail('died'));
    socket.on('close', () => this.fail('died'));
  }

  private onData(d: string): void {
    if (!this.waiting) {
      // nothing was asked: whatever arrives is noise; keep only the tail after the last newline
      const nl = d.lastIndexOf('\n');
      this.buffer = nl >= 0 ? d.slice(nl + 1) : this.buffer + d;
      if (this.buffer.length > LIMITS.MAX_BYTES) this.buffer = '';
      return;
    }
    this.buffer += d;
    const nl = this.buffer.indexOf('\n');
    if (nl >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const w = this.waiting;
      this.waiting = null;
      w(line);
    } else if (this.buffer.length > LIMITS.MAX_BYTES) {
      this.buffer = '';
      this.fail('output-limit');
    }
  }

  private fail(why: 'died' | 'output-limit'): void {
    if (!this.broken) this.broken = why;
    const w = this.waiting;
    this.waiting = null;
    if (w) w(null);
  }

  /** Sends one request and resolves to the answer line, or null if the kernel is gone or flooding. */
  request(op: string, name: string, argsJson: string | undefined): Promise<string | null> {
    if (this.broken) return Promise.resolve(null);
    const id = this.nextId++;
    this.buffer = '';
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(`{"id":${id},"op":${JSON.stringify(op)},"name":${JSON.stringify(name)}${argsJson === undefined ? '' : `,"args":${argsJson}`}}\n`);
    });
  }

  /** Stops waiting (the cell's time is up). */
  abandon(): void {
    const w = this.waiting;
    this.waiting = null;
    if (w) w(null);
  }
}

interface RunMessage {
  session: string;
  js: string;
  filename: string;
  hidden: boolean;
  snapshot?: { save?: string; use?: string };
}

/** A worker thread running checker.js, with its shared answer buffer. */
class CheckerWorker {
  readonly worker: Worker;
  private readonly control = new Int32Array(new SharedArrayBuffer(8));
  private readonly data = new Uint8Array(new SharedArrayBuffer(LIMITS.MAX_BYTES + 1024));
  private current: { id: number; resolve: (r: { checks: CheckRecord[]; error: string } | null) => void; channel: StudentChannel } | null = null;
  private nextId = 1;
  dead = false;

  constructor(repo: string) {
    this.worker = new Worker(graderAssetPath('trusted/checker.js'), {
      workerData: { control: this.control.buffer, data: this.data.buffer, requireFrom: path.join(repo, 'package.json') },
      // the checker is plain JavaScript: it needs no loader hooks from the parent (tsx in tests)
      execArgv: [],
    });
    this.worker.on('message', (m) => this.onMessage(m));
    this.worker.on('error', () => this.die());
    this.worker.on('exit', () => this.die());
    // after the listeners (adding one refs the worker again): an idle checker never keeps the grader alive
    this.worker.unref();
  }

  private die(): void {
    this.dead = true;
    const c = this.current;
    this.current = null;
    if (c) c.resolve(null);
  }

  private answer(line: string | null): void {
    let text = line;
    if (text === null) text = JSON.stringify({ ok: false, error: { $: 'err', name: 'Error', message: 'the kernel running your code stopped or did not answer' } });
    let bytes = Buffer.from(text, 'utf8');
    if (bytes.length > this.data.length) bytes = Buffer.from(JSON.stringify({ ok: false, error: { $: 'err', name: 'Error', message: `the answer is larger than ${LIMITS.MAX_BYTES / 2 ** 20} MiB` } }));
    this.data.set(bytes, 0);
    Atomics.store(this.control, 1, bytes.length);
    Atomics.store(this.control, 0, 1);
    Atomics.notify(this.control, 0);
  }

  private onMessage(m: any): void {
    const c = this.current;
    if (!c) return;
    if (m?.t === 'call') {
      void c.channel.request(String(m.op), String(m.name), typeof m.args === 'string' ? m.args : undefined).then((line) => this.answer(line));
    } else if (m?.t === 'done' && m.id === c.id) {
      this.current = null;
      c.resolve({ checks: Array.isArray(m.checks) ? m.checks : [], error: String(m.error ?? '') });
    }
  }

  run(msg: RunMessage, channel: StudentChannel): Promise<{ checks: CheckRecord[]; error: string } | null> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.current = { id, resolve, channel };
      this.worker.postMessage({ t: 'run', id, ...msg });
    });
  }

  end(session: string): void {
    if (!this.dead) this.worker.postMessage({ t: 'end', session });
  }

  terminate(): void {
    this.dead = true;
    void this.worker.terminate();
  }
}

const idle = new Map<string, CheckerWorker[]>();
let sessionCounter = 0;

/**
 * One submission's trusted tests session: its own scope of trusted declarations, on a worker of its own
 * for as long as it lasts (workers are reused by later sessions of the same repo).
 *
 * @example
 * const s = TestsSession.open(repo); const r = await s.run(program, channel, { timeoutMs: 60_000 }); s.close();
 */
export class TestsSession {
  private readonly id = `s${process.pid}-${sessionCounter++}`;
  private constructor(
    private readonly repo: string,
    private worker: CheckerWorker,
  ) {}

  static open(repo: string): TestsSession {
    const pool = idle.get(repo) ?? [];
    let w = pool.pop();
    while (w && w.dead) w = pool.pop();
    return new TestsSession(repo, w ?? new CheckerWorker(repo));
  }

  /**
   * Runs one compiled trusted program against `channel`; a run longer than `timeoutMs` is stopped (the
   * worker is replaced, the scope of this session is lost, so later runs start from an empty scope).
   */
  async run(js: string, channel: StudentChannel, opts: { timeoutMs: number; filename: string; hidden?: boolean; snapshot?: { save?: string; use?: string } }): Promise<TrustedRun> {
    if (this.worker.dead) this.worker = new CheckerWorker(this.repo);
    const w = this.worker;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), opts.timeoutMs);
    });
    const r = await Promise.race([w.run({ session: this.id, js, filename: opts.filename, hidden: opts.hidden === true, snapshot: opts.snapshot }, channel), timeout]);
    clearTimeout(timer);
    if (r === 'timeout') {
      channel.abandon();
      w.terminate();
      return { checks: [], error: '', status: 'timeout' };
    }
    if (r === null) return { checks: [], error: 'the trusted tests runner stopped', status: channel.broken || 'died' };
    return { ...r, status: channel.broken || 'ok' };
  }

  /** Ends the session and returns its worker for reuse. */
  close(): void {
    if (this.worker.dead) return;
    this.worker.end(this.id);
    const pool = idle.get(this.repo) ?? [];
    pool.push(this.worker);
    idle.set(this.repo, pool);
  }
}
