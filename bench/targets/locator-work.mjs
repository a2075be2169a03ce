// A task function in a module of its own, imported by locator.mjs (the shape of issue 8 §1).
import { platform } from 'node:os'

export function siblingTask(x) {
  return `${x} on ${platform()}`
}
