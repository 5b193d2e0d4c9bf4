/** Entry point of `npm run bench -- <name> [args]`. */
import * as fs from 'fs';
import * as path from 'path';
import { BenchModule, formatTable, writeReport } from './harness';
import { collectProvenance, LOAD_AT_START } from './provenance';

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  const available = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && !['harness.ts', 'run.ts', 'provenance.ts', 'readme-numbers.ts'].includes(f))
    .map((f) => f.replace(/\.ts$/, ''));
  if (!name || !available.includes(name)) {
    console.error(`${name ? `no benchmark '${name}'` : 'usage: npm run bench -- <name> [args]'}; benchmarks: ${available.join(', ')}`);
    return 2;
  }
  const mod = (await import(path.join(__dirname, `${name}.ts`))) as BenchModule;
  const start = performance.now();
  const report = await mod.run(args);
  const seconds = (performance.now() - start) / 1000;
  const provenance = collectProvenance({ loadBefore: LOAD_AT_START });
  const file = writeReport(name, report, seconds, provenance);
  console.log(`\n${formatTable(report, provenance)}\n\nwrote ${path.relative(process.cwd(), file)} (${seconds.toFixed(0)} s)`);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(`bench: ${(e as Error).message}`);
    if (process.env.OPTILAB_DEBUG) console.error((e as Error).stack);
    process.exitCode = 1;
  },
);
