/**
 * The architecture search's result cache as a JSON file (Node only: not exported from the isomorphic
 * src/hardware barrel). It lives beside the trained-model cache, in `<cacheRoot()>/hardware/search-results.json`
 * (cacheRoot of src/train/cache.ts: OPTILAB_CACHE_DIR, else `.cache` at the root of the checkout), and
 * `searchCacheSalt` gives the build hash the model cache keys its folders with, so a result measured on other
 * kernels or another tfjs is never reused. Each `set` merges with what the file holds now and rewrites it
 * atomically (write, then rename), so an interrupted search keeps every candidate it finished.
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildHash, cacheRoot, currentBuild } from '../train/cache';
import type { CandidateMeasurement, ResultCache } from './search-eval';

const VERSION = 1;

/**
 * The default cache file: `<cache root>/hardware/search-results.json`.
 *
 * @example
 * searchCacheFile(); // '/work/main/.cache/hardware/search-results.json'
 */
export function searchCacheFile(): string {
  return path.join(cacheRoot(), 'hardware', 'search-results.json');
}

/**
 * The salt for candidateKey: the build hash of the trained-model cache (backend, kernels, native library,
 * optilab and tfjs versions).
 *
 * @example
 * const salt = await searchCacheSalt(); // 'build 7a1b2c3d'
 */
export async function searchCacheSalt(): Promise<string> {
  return `build ${buildHash(await currentBuild())}`;
}

/**
 * A ResultCache backed by a JSON file (created on the first `set`; an unreadable file is treated as empty and
 * replaced).
 *
 * @example
 * const cache = fileResultCache();
 * await randomSearch(data, { budget: 12, training, cache, salt: await searchCacheSalt() });
 */
export function fileResultCache(file: string = searchCacheFile()): ResultCache & { file: string; size(): number } {
  const read = (): Record<string, CandidateMeasurement> => {
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: number; entries?: Record<string, CandidateMeasurement> };
      if (parsed.version === VERSION && parsed.entries && typeof parsed.entries === 'object') return parsed.entries;
    } catch {
      // No file yet, or a damaged one: start empty (the first set rewrites it).
    }
    return {};
  };
  let entries = read();
  return {
    file,
    get: (key) => entries[key],
    set(key, value) {
      // Re-read first: another process (a second search) may have added entries since.
      entries = { ...read(), ...entries, [key]: value };
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ version: VERSION, entries }, null, 1) + '\n');
      fs.renameSync(tmp, file);
    },
    size: () => Object.keys(entries).length,
  };
}
