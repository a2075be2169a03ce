// piscina's (and tinypool's) worker module: the shared tasks, plus a payload task that moves its
// result back with the library's marker.
import { Piscina } from 'piscina'
import { echoBytes } from './tasks.mjs'

export * from './tasks.mjs'
export { default } from './tasks.mjs'

export function echoBytesMove(bytes) {
  return Piscina.move(echoBytes(bytes))
}
