/**
 * optilab/core must stay isomorphic (the course site bundles it for the browser): no module reachable from
 * src/core.ts may import a Node built-in or a Node-only package.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { builtinModules } from 'module';
import { ROOT } from './helpers';

const NODE_ONLY_PACKAGES = ['@tensorflow/tfjs-node', 'onnxruntime-node', 'tslab', 'zeromq', 'better-sqlite3', 'bullmq'];

function importsOf(file: string): string[] {
  const text = fs
    .readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    // `import type` / `export type` are erased by the compiler: they load nothing at run time.
    .replace(/(?:import|export)\s+type\s[^;]*?from\s*['"][^'"]+['"]/g, '');
  const specs = new Set<string>();
  for (const m of text.matchAll(/(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    specs.add(m[1] ?? m[2] ?? m[3] ?? m[4]);
  }
  return [...specs];
}

function resolveLocal(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(candidate)) return candidate;
  return null;
}

test('nothing reachable from src/core.ts imports Node built-ins or Node-only packages', () => {
  const start = path.join(ROOT, 'src', 'core.ts');
  const seen = new Set<string>();
  const offenders: string[] = [];
  const queue = [start];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) {
        const target = resolveLocal(file, spec);
        if (target) queue.push(target);
        continue;
      }
      const bare = spec.replace(/^node:/, '');
      if (spec.startsWith('node:') || builtinModules.includes(bare.split('/')[0]) || NODE_ONLY_PACKAGES.some((p) => bare === p || bare.startsWith(`${p}/`))) {
        offenders.push(`${path.relative(ROOT, file)} imports '${spec}'`);
      }
    }
  }
  assert.ok(seen.size > 10, `walked only ${seen.size} files`);
  assert.deepEqual(offenders, [], `core must stay browser-safe:\n${offenders.join('\n')}`);
});
