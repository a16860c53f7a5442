/** Seeded random generators for property tests (reproducible: the seed is in the test). */
export type Rng = () => number;

/** mulberry32 */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const WORDS = ['a', 'b', 'c', 'devices', 'telemetry'];

export function randomTopic(r: Rng, words: readonly string[] = WORDS): string {
  const n = 1 + Math.floor(r() * 4);
  return Array.from({ length: n }, () => pick(r, words)).join('/');
}

export function randomFilter(r: Rng, words: readonly string[] = WORDS): string {
  const n = 1 + Math.floor(r() * 4);
  const levels = Array.from({ length: n }, () => (r() < 0.25 ? '+' : pick(r, words)));
  if (r() < 0.3) levels.push('#');
  return levels.join('/');
}
