// tinypool's worker module: the shared tasks, plus a payload task that moves its result back.
import { Tinypool } from 'tinypool'
import { echoBytes } from './tasks.mjs'

export * from './tasks.mjs'
export { default } from './tasks.mjs'

export function echoBytesMove(bytes) {
  return Tinypool.move(echoBytes(bytes))
}
