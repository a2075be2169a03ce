/** A target module with no imports at all: isolates what a runner adds over the raw primitive. */
export function trivial(x) {
  return x + 1
}
