/**
 * The CPU-bound work of the comparison. It lives in its own module, so the comparison names it
 * with `fromModule()`: a worker thread or child process imports only this file.
 */

const BLOCK = 1000

function isPrime(n: number): boolean {
  if (n < 2) return false
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false
  return true
}

/**
 * Counts, by trial division (slow on purpose), the primes below `limit` in slice `slice` of
 * `slices`: the numbers are dealt out in blocks of 1000, block `b` to slice `b % slices`, so every
 * slice costs about the same. `countPrimes(limit)` counts them all.
 */
export function countPrimes(limit: number, slice = 0, slices = 1): number {
  let count = 0
  for (let start = slice * BLOCK; start < limit; start += slices * BLOCK) {
    const end = Math.min(start + BLOCK, limit)
    for (let n = start; n < end; n++) if (isPrime(n)) count++
  }
  return count
}
