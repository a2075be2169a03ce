// @conc's payload task that moves its result back with `move()` (copied on processes).
import { move } from '@conc/threading'
import { echoBytes } from './tasks.mjs'

export function echoBytesMove(bytes) {
  return move(echoBytes(bytes))
}
