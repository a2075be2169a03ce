/**
 * A course-style program's module, for the start-up comparison of runner-startup.mjs: it imports
 * both backend packages, exports a no-op target, and constructs the runners itself (so the target
 * travels by reference to this module, as in the course). Every unit imports this module again,
 * and with it both packages: what a user pays per unit.
 */
import { Thread } from '@conc/threading'
import { Process } from '@conc/multiprocessing'

/** The no-op target. */
export function noop() {}

export const makeCourse = {
  thread: () => new Thread({ target: noop }),
  process: () => new Process({ target: noop }),
}
