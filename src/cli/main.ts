#!/usr/bin/env node
/**
 * The optilab command line. Commands are discovered from ./commands (one file each, exporting `command`).
 * Usage mistakes print a clear message and exit 2; unexpected failures print the message (the stack only
 * with OPTILAB_DEBUG=1) and exit 1.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, UsageError } from './command';

function loadCommands(): Map<string, Command> {
  const dir = path.join(__dirname, 'commands');
  const commands = new Map<string, Command>();
  for (const file of fs.readdirSync(dir).sort()) {
    if (!/\.(js|ts)$/.test(file) || file.endsWith('.d.ts')) continue;
    const mod = require(path.join(dir, file)) as { command?: Command };
    if (mod.command) commands.set(mod.command.name, mod.command);
  }
  return commands;
}

function help(commands: Map<string, Command>): string {
  const width = Math.max(...[...commands.keys()].map((k) => k.length));
  const lines = [...commands.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['usage: optilab <command> [options]', '', 'commands:', ...lines, '', 'optilab help <command> shows a command\'s options.'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const commands = loadCommands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(help(commands));
    return name ? 0 : 2;
  }
  if (name === 'help') {
    const target = rest[0] ? commands.get(rest[0]) : undefined;
    console.log(target ? target.usage : help(commands));
    return 0;
  }
  const command = commands.get(name);
  if (!command) {
    console.error(`optilab: unknown command '${name}'\n\n${help(commands)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`optilab ${name}: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    const err = e as Error;
    console.error(`optilab ${name}: ${err.message ?? String(e)}`);
    if (process.env.OPTILAB_DEBUG) console.error(err.stack);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(`optilab: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
}
