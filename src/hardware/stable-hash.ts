/**
 * A short stable hash of plain JSON data, for cache keys that must be equal for equal settings whatever the
 * order of their keys, in Node and in the browser alike (no crypto module): the value is serialised with sorted
 * object keys and hashed with two 32-bit FNV-1a passes of different offsets (64 bits, 16 hex digits). Not a
 * cryptographic hash: it names cache entries, it does not protect them. Isomorphic.
 */

/**
 * JSON with object keys sorted at every level (arrays keep their order; undefined fields are dropped).
 *
 * @example
 * stableStringify({ b: 1, a: [2, { d: 3, c: 4 }] }); // '{"a":[2,{"c":4,"d":3}],"b":1}'
 */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`stableStringify: ${value} has no JSON form`);
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableStringify(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

function fnv1a(text: string, offset: number): number {
  let h = offset >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * 16 hex digits naming `value` (equal for values equal up to key order).
 *
 * @example
 * stableHash({ a: 1, b: 2 }) === stableHash({ b: 2, a: 1 }); // true
 */
export function stableHash(value: unknown): string {
  const s = stableStringify(value);
  return fnv1a(s, 0x811c9dc5).toString(16).padStart(8, '0') + fnv1a(s, 0x050c5d1f).toString(16).padStart(8, '0');
}
