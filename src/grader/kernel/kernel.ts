/**
 * A minimal Jupyter-protocol client for one tslab kernel process (Node side, over zeromq ipc sockets).
 * The grader talks to the kernel directly (no Python, no jupyter_client) so it controls every message, every
 * time limit and the kernel's whole process tree. A kernel is started by {@link startKernel} with a launcher
 * (normally the bubblewrap sandbox of ./sandbox.ts) and is used for exactly one submission.
 */
import { ChildProcess, spawn } from 'child_process';
import { createHmac, randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zmq from 'zeromq';

/** One message on a Jupyter socket (already parsed). */
export interface JupyterMessage {
  header: { msg_id: string; msg_type: string; [k: string]: unknown };
  parent_header: { msg_id?: string; [k: string]: unknown };
  metadata: Record<string, unknown>;
  content: Record<string, any>;
}

/** What a cell produced: status, outputs (nbformat 4 shapes) and the kernel's error text, if any. */
export interface ExecuteResult {
  status: 'ok' | 'error' | 'timeout' | 'died' | 'output-limit';
  outputs: Record<string, unknown>[];
  /** stderr stream text (tslab prints type errors there). */
  stderr: string;
  /** Characters of output received (also counted beyond the kept outputs). */
  outputChars: number;
  seconds: number;
}

/** How the kernel process is launched: the command, and the folder in which the connection sockets live. */
export interface KernelLaunch {
  /** argv of the process to start; `{connection_file}` is replaced by the connection file path. */
  argv: string[];
  /** Folder for the ipc sockets and the connection file (must be visible inside the sandbox at the same path). */
  socketDir: string;
  env?: NodeJS.ProcessEnv;
  /** Extra file descriptors handed to the kernel as fd 3, 4, ... (a number: that open descriptor of the grader). */
  extraStdio?: ('pipe' | 'ignore' | number)[];
  /** Called with the spawned process. */
  onSpawn?: (child: ChildProcess) => void;
  /** Called once the kernel is killed (e.g. to remove its cgroups). */
  cleanup?: () => void;
  /** Called once the kernel answers, before any cell runs (e.g. to make the socket folder read-only). */
  onConnected?: () => void;
}

/**
 * Bounds on what a kernel can make the grader hold. A frame larger than MAX_FRAME_BYTES drops the connection
 * (zeromq's maxMessageSize; the kernel reconnects, the message is lost), at most RECEIVE_QUEUE messages wait
 * per socket, and a kernel that has sent more than MAX_KERNEL_BYTES in all is killed.
 */
export const MESSAGE_LIMITS = { MAX_FRAME_BYTES: 4 * 2 ** 20, RECEIVE_QUEUE: 64, MAX_FRAMES: 16, MAX_KERNEL_BYTES: 256 * 2 ** 20 };

const DELIM = '<IDS|MSG>';

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses one message's frames: checks the HMAC-SHA256 signature with `key` and the shape every reader relies
 * on (objects for header, parent header, metadata and content; a string msg_type; a string or absent parent
 * msg_id). Returns null for anything else, never throws.
 *
 * @example
 * parseKernelFrames([Buffer.from('<IDS|MSG>'), sig, header, parent, metadata, content], key)?.header.msg_type // 'stream'
 */
export function parseKernelFrames(frames: Buffer[], key: string): JupyterMessage | null {
  if (frames.length > MESSAGE_LIMITS.MAX_FRAMES) return null;
  const i = frames.findIndex((f) => f.length === DELIM.length && f.toString() === DELIM);
  if (i < 0 || frames.length < i + 6) return null;
  const parts = frames.slice(i + 2, i + 6).map((f) => f.toString());
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  if (h.digest('hex') !== frames[i + 1].toString()) return null;
  let m: JupyterMessage;
  try {
    m = { header: JSON.parse(parts[0]), parent_header: JSON.parse(parts[1]), metadata: JSON.parse(parts[2]), content: JSON.parse(parts[3]) };
  } catch {
    return null;
  }
  if (!isObject(m.header) || !isObject(m.parent_header) || !isObject(m.metadata) || !isObject(m.content)) return null;
  if (typeof m.header.msg_type !== 'string') return null;
  if (m.parent_header.msg_id !== undefined && typeof m.parent_header.msg_id !== 'string') return null;
  return m;
}

/**
 * What one cell printed, within a budget: outputs are kept while their JSON size fits `maxChars`; all of it
 * is counted, and the first 20,000 characters of stderr are kept apart (for error messages).
 *
 * @example
 * const out = new CellOutputs(1000);
 * out.add('stream', { name: 'stdout', text: 'hi' }); // true
 * out.outputs; // [{ output_type: 'stream', name: 'stdout', text: 'hi' }]
 */
export class CellOutputs {
  readonly outputs: Record<string, unknown>[] = [];
  stderr = '';
  /** JSON characters of every output message seen, kept or not. */
  chars = 0;
  private kept = 0;

  constructor(private readonly maxChars: number) {}

  /** Takes one iopub message; false once the cell printed more than the budget (the caller stops the kernel). */
  add(msgType: string, content: Record<string, unknown>): boolean {
    if (msgType !== 'stream' && msgType !== 'display_data' && msgType !== 'execute_result' && msgType !== 'error') return true;
    const size = JSON.stringify(content).length;
    this.chars += size;
    if (msgType === 'stream' && content.name === 'stderr' && this.stderr.length < 20_000) this.stderr += String(content.text);
    if (this.kept + size <= this.maxChars) {
      this.kept += size;
      this.outputs.push({ output_type: msgType, ...content });
    }
    return this.chars <= this.maxChars;
  }
}

/**
 * A running tslab kernel. `execute(code, {timeoutMs})` runs one cell and collects its outputs; `kill()` ends the
 * whole process tree. Output beyond `maxOutputChars` per cell is dropped and the cell reported as 'output-limit'.
 *
 * @example
 * const k = await startKernel({ argv: ['node', tslabBin, 'kernel', '--config-path', '{connection_file}'], socketDir });
 * const r = await k.execute('console.log(1 + 1)', { timeoutMs: 10_000 });
 * k.kill();
 */
export class Kernel {
  readonly session = randomUUID();
  // linger 0: requests queued for a kernel that died (or never started) are dropped, not kept until exit.
  private shell = new zmq.Dealer({ linger: 0, maxMessageSize: MESSAGE_LIMITS.MAX_FRAME_BYTES, receiveHighWaterMark: MESSAGE_LIMITS.RECEIVE_QUEUE });
  private iopub = new zmq.Subscriber({ linger: 0, maxMessageSize: MESSAGE_LIMITS.MAX_FRAME_BYTES, receiveHighWaterMark: MESSAGE_LIMITS.RECEIVE_QUEUE });
  /** Bytes of every message received from this kernel. */
  receivedBytes = 0;
  private waiters = new Map<string, (m: JupyterMessage) => void>();
  private iopubHandlers = new Map<string, (m: JupyterMessage) => void>();
  private exitListeners: (() => void)[] = [];
  exited = false;
  private lastErrorAt = 0;
  exitInfo = '';
  /** Why the grader stopped the kernel itself, if it did. */
  private stopReason = '';
  stderrTail = '';

  constructor(
    readonly child: ChildProcess,
    private readonly endpoints: { shell: string; iopub: string },
    private readonly key: string,
  ) {
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.exitInfo = this.stopReason || (signal ? `killed by ${signal}` : `exited with code ${code}`);
      for (const l of this.exitListeners.splice(0)) l();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4000);
    });
  }

  /** Connects the sockets and waits until the kernel answers a kernel_info_request (or throws after `timeoutMs`). */
  async connect(timeoutMs: number): Promise<void> {
    this.shell.connect(this.endpoints.shell);
    this.iopub.connect(this.endpoints.iopub);
    this.iopub.subscribe();
    void this.readLoop(this.shell, (m) => {
      const w = this.waiters.get(String(m.parent_header.msg_id));
      if (w) w(m);
    });
    void this.readLoop(this.iopub, (m) => {
      const h = this.iopubHandlers.get(String(m.parent_header.msg_id));
      if (h) h(m);
    });
    const deadline = Date.now() + timeoutMs;
    // The kernel binds its sockets some time after start: retry kernel_info until it answers.
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`the kernel ${this.exitInfo} while starting: ${this.stderrTail.trim().slice(-500)}`);
      const id = this.send('kernel_info_request', {});
      const reply = await this.waitReply(id, Math.min(1000, deadline - Date.now()));
      if (reply) {
        // iopub is a PUB socket: make sure our subscription is live before the first cell runs.
        await this.waitIopubReady(deadline);
        return;
      }
    }
    throw new Error(`the kernel did not answer within ${timeoutMs} ms`);
  }

  private async waitIopubReady(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const r = await this.execute('', { timeoutMs: Math.max(1, Math.min(1000, deadline - Date.now())) });
      if (r.status === 'ok') return;
      if (r.status === 'died') throw new Error(`the kernel ${this.exitInfo} while starting`);
    }
    throw new Error('the kernel iopub channel did not become ready');
  }

  private async readLoop(sock: zmq.Dealer | zmq.Subscriber, on: (m: JupyterMessage) => void): Promise<void> {
    try {
      for await (const frames of sock) {
        for (const f of frames as Buffer[]) this.receivedBytes += f.length;
        if (this.receivedBytes > MESSAGE_LIMITS.MAX_KERNEL_BYTES && !this.exited) {
          this.stopReason = `was stopped: it sent more than ${MESSAGE_LIMITS.MAX_KERNEL_BYTES / 2 ** 20} MiB of messages`;
          this.killProcess();
          continue;
        }
        const m = parseKernelFrames(frames as Buffer[], this.key);
        // The kernel runs student code and holds the signing key: a message can be signed and still malformed.
        // One bad message is dropped; it never ends the loop.
        if (m) {
          try {
            on(m);
          } catch {
            // dropped
          }
        }
      }
    } catch {
      // socket closed
    }
  }

  private send(msgType: string, content: Record<string, unknown>): string {
    const msgId = randomUUID();
    const header = { msg_id: msgId, msg_type: msgType, session: this.session, username: 'grader', date: new Date().toISOString(), version: '5.3' };
    const parts = [JSON.stringify(header), '{}', '{}', JSON.stringify(content)];
    const h = createHmac('sha256', this.key);
    for (const p of parts) h.update(p);
    void this.shell.send([DELIM, h.digest('hex'), ...parts]).catch(() => undefined);
    return msgId;
  }

  private waitReply(msgId: string, timeoutMs: number): Promise<JupyterMessage | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(msgId);
        resolve(null);
      }, Math.max(1, timeoutMs));
      this.waiters.set(msgId, (m) => {
        clearTimeout(timer);
        this.waiters.delete(msgId);
        resolve(m);
      });
    });
  }

  /**
   * Runs `code` as one cell. Resolves when the kernel has replied and gone idle, when `timeoutMs` passes
   * ('timeout': the caller should kill the kernel), when the kernel dies ('died'), or when the cell printed
   * more than `maxOutputChars` ('output-limit').
   */
  async execute(code: string, opts: { timeoutMs: number; maxOutputChars?: number }): Promise<ExecuteResult> {
    // tslab cancels every request that arrives within 200 ms after a failed cell: wait that out.
    const wait = this.lastErrorAt + 250 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const r = await this.executeNow(code, opts);
    if (r.status === 'error') this.lastErrorAt = Date.now();
    return r;
  }

  private executeNow(code: string, opts: { timeoutMs: number; maxOutputChars?: number }): Promise<ExecuteResult> {
    const start = Date.now();
    const out = new CellOutputs(opts.maxOutputChars ?? 1_000_000);
    return new Promise((resolve) => {
      if (this.exited) {
        resolve({ status: 'died', outputs: out.outputs, stderr: out.stderr, outputChars: 0, seconds: 0 });
        return;
      }
      let replyStatus: string | null = null;
      let idle = false;
      let done = false;
      const finish = (status: ExecuteResult['status']) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.iopubHandlers.delete(msgId);
        this.waiters.delete(msgId);
        const i = this.exitListeners.indexOf(onExit);
        if (i >= 0) this.exitListeners.splice(i, 1);
        resolve({ status, outputs: out.outputs, stderr: out.stderr, outputChars: out.chars, seconds: (Date.now() - start) / 1000 });
      };
      // a cell is done when both its execute_reply (shell) and the kernel's idle status (iopub) have arrived
      const maybeDone = () => {
        if (replyStatus !== null && idle) finish(replyStatus === 'ok' ? 'ok' : 'error');
      };
      const onExit = () => finish('died');
      const timer = setTimeout(() => finish('timeout'), opts.timeoutMs);
      const msgId = this.send('execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
      this.exitListeners.push(onExit);
      this.iopubHandlers.set(msgId, (m) => {
        if (m.header.msg_type === 'status') {
          if (m.content.execution_state === 'idle') {
            idle = true;
            maybeDone();
          }
        } else if (!out.add(m.header.msg_type, m.content)) finish('output-limit');
      });
      this.waiters.set(msgId, (m) => {
        replyStatus = String(m.content.status);
        maybeDone();
      });
    });
  }

  /** Resolves when the process has exited (or after `timeoutMs`). */
  waitExit(timeoutMs: number): Promise<boolean> {
    if (this.exited) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.exitListeners.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  /** Kills the kernel's sandbox (SIGKILL to the launcher's process group) and closes the sockets. */
  kill(): void {
    this.killProcess();
    this.shell.close();
    this.iopub.close();
  }

  private killProcess(): void {
    try {
      if (!this.exited && this.child.pid) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      try {
        this.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Starts a kernel with `launch.argv` (its own process group), writes the connection file (ipc transport, so the
 * kernel needs no network at all) and connects.
 *
 * @example
 * const k = await startKernel({ argv: ['node', tslabBin, 'kernel', '--config-path', '{connection_file}'], socketDir: dir }, 20_000);
 */
export async function startKernel(launch: KernelLaunch, timeoutMs = 30_000): Promise<Kernel> {
  fs.mkdirSync(launch.socketDir, { recursive: true });
  const base = path.join(launch.socketDir, 'k');
  const key = randomBytes(32).toString('hex');
  const conn = { transport: 'ipc', ip: base, shell_port: 1, iopub_port: 2, stdin_port: 3, control_port: 4, hb_port: 5, key, signature_scheme: 'hmac-sha256', kernel_name: 'tslab' };
  const connFile = path.join(launch.socketDir, 'connection.json');
  fs.writeFileSync(connFile, JSON.stringify(conn), { mode: 0o600 });
  const argv = launch.argv.map((a) => a.replace('{connection_file}', connFile));
  const child = spawn(argv[0], argv.slice(1), {
    env: launch.env ?? process.env,
    stdio: ['ignore', 'ignore', 'pipe', ...(launch.extraStdio ?? [])],
    detached: true,
  });
  launch.onSpawn?.(child);
  const kernel = new Kernel(child, { shell: `ipc://${base}:1`, iopub: `ipc://${base}:2` }, key);
  try {
    await kernel.connect(timeoutMs);
    // The kernel has read its key: the file goes before any cell runs (the key stays in the kernel's memory,
    // which is why nothing the kernel says is trusted for a grade; see notebooks/labs/README.md).
    fs.rmSync(connFile, { force: true });
    launch.onConnected?.();
  } catch (e) {
    kernel.kill();
    throw e;
  }
  return kernel;
}
