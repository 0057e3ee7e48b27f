/**
 * A small seeded pseudo-random generator for the forecast's Monte Carlo (domain/forecast.ts): the same
 * seed gives the same numbers on every machine and Node version, which `Math.random` does not promise.
 *
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, as in PractRand) seeded
 * through a 32-bit FNV-1a hash of the seed string. Written here rather than taken from npm: it is a
 * dozen lines of 32-bit integer arithmetic with published test vectors, and a dependency would add a
 * supply-chain surface to the pure domain for nothing. Not for anything that must be unpredictable.
 */

export type Random = () => number;

/** A generator of floats in [0, 1), deterministic for `seed`. */
export function seededRandom(seed: string): Random {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  let a = h >>> 0;
  let b = 0x9e3779b9;
  let c = 0x243f6a88;
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  };
  // The first outputs of a counting generator still carry the seed's structure: discard them.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A standard normal draw (Box–Muller; one of the pair is dropped to keep the stream simple). */
export function normal(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) never happens
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** One element of a non-empty list, uniformly. */
export function pick<T>(random: Random, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}
