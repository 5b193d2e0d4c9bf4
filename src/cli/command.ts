/**
 * The CLI's building blocks: a command interface, a small validated flag parser, and UsageError for
 * mistakes the user can fix (printed without a stack trace, exit code 2).
 * Each command lives in ./commands/<name>.ts and exports `command: Command`; main.ts discovers them.
 */

export interface Command {
  /** e.g. 'train', or a space-separated group like 'notebooks run' is handled by the command itself. */
  name: string;
  summary: string;
  /** Full usage text shown by `optilab help <name>` and on a UsageError. */
  usage: string;
  run(args: string[]): Promise<number>;
}

/** A user mistake: wrong flag, missing argument, bad value. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type FlagType = 'string' | 'number' | 'int' | 'boolean';
export type FlagSpec = Record<string, FlagType>;
export type FlagValues = Record<string, string | number | boolean | undefined>;

/**
 * Parses `--name value`, `--name=value` and boolean `--name` flags against `spec`; everything else is positional.
 * Unknown flags and bad values throw UsageError.
 *
 * @example
 * const { flags, positionals } = parseArgs(['--epochs', '3', 'x'], { epochs: 'int' });
 */
export function parseArgs(args: string[], spec: FlagSpec): { flags: FlagValues; positionals: string[] } {
  const flags: FlagValues = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const type = spec[name];
    if (!type) {
      const known = Object.keys(spec).map((k) => `--${k}`).join(', ');
      throw new UsageError(`unknown option --${name}${known ? ` (options: ${known})` : ''}`);
    }
    if (type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      raw = args[i + 1];
      if (raw === undefined || raw.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      i++;
    }
    if (type === 'string') flags[name] = raw;
    else {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got '${raw}'`);
      if (type === 'int' && !Number.isInteger(value)) throw new UsageError(`--${name} must be a whole number, got '${raw}'`);
      flags[name] = value;
    }
  }
  return { flags, positionals };
}

/** Throws UsageError unless `value` is a positive whole number. */
export function positiveInt(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new UsageError(`--${name} must be a positive whole number, got ${String(value)}`);
  }
  return value;
}

/** Throws UsageError unless `value` is one of `choices`. */
export function oneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${String(value)}'`);
  return value as T;
}
