import { expectTypeOf, test } from 'vitest'
import { type Address, type Listener, Connection, ProcessPoolExecutor, Sentinel, ShareableList, SharedMemory, Timer, Process, connection } from '@conc/multiprocessing'

function greet(name: string, times: number): void {
  void name
  void times
}

test('Timer: args typed from the function, positional or options', () => {
  new Timer(1, greet, ['x', 2])
  new Timer({ interval: 1, target: greet, args: ['x', 2], name: 't' })
  new Timer(0.5, () => 1)
  // @ts-expect-error: a wrong argument type
  new Timer(1, greet, [1, 2])
  // @ts-expect-error: args are required when the function has required parameters
  new Timer(1, greet)
  // @ts-expect-error: the options form too
  new Timer({ interval: 1, target: greet })
  const t = new Timer(1, greet, ['x', 1])
  expectTypeOf(t).toMatchTypeOf<Process>()
  expectTypeOf(t.cancel).returns.toEqualTypeOf<void>()
})

test('connection: Listener and Client resolve to their objects; wait keeps the element type', async () => {
  expectTypeOf(connection.Listener).returns.toEqualTypeOf<Promise<Listener>>()
  expectTypeOf(connection.Client<number>(['127.0.0.1', 1])).toEqualTypeOf<Promise<Connection<number>>>()
  const listener = await connection.Listener(['127.0.0.1', 0], { authkey: 'k', backlog: 8, maxMessageSize: 1024, handshakeTimeout: 5 })
  expectTypeOf(listener.accept()).toEqualTypeOf<Promise<Connection>>()
  expectTypeOf(listener.address).toEqualTypeOf<Address>()
  const conn = await listener.accept()
  const unit = new Process()
  expectTypeOf(unit.sentinel).toEqualTypeOf<Sentinel>()
  expectTypeOf(connection.wait([conn, unit.sentinel], 1)).toEqualTypeOf<Promise<(Connection | Sentinel)[]>>()
  // @ts-expect-error: an authkey is bytes or a string
  await connection.Client(['127.0.0.1', 1], { authkey: 12 })
  // @ts-expect-error: an address is [host, port] or a path
  await connection.Client(6000)
})

test('Executor.map takes buffersize; terminateWorkers/killWorkers resolve when done', () => {
  const executor = new ProcessPoolExecutor()
  executor.map((x: number) => x * 2, [1, 2], { buffersize: 2, chunksize: 1, timeout: 1 })
  // @ts-expect-error: an unknown option
  executor.map((x: number) => x * 2, [1, 2], { bufsize: 2 })
  expectTypeOf(executor.terminateWorkers()).toEqualTypeOf<Promise<void>>()
  expectTypeOf(executor.killWorkers()).toEqualTypeOf<Promise<void>>()
})

test('SharedMemory and ShareableList', () => {
  const shm = new SharedMemory({ create: true, size: 8 })
  expectTypeOf(shm.buf).toEqualTypeOf<Uint8Array>()
  new SharedMemory(shm.name)
  new SharedMemory(null, true, 8)
  const list = new ShareableList<string | number>(['a', 1])
  expectTypeOf(list.get(0)).toEqualTypeOf<string | number>()
  // @ts-expect-error: a ShareableList holds no objects
  new ShareableList([{ a: 1 }])
})

test('interrupt() on Process only; start methods', async () => {
  const { getContext, getStartMethod, getAllStartMethods } = await import('@conc/multiprocessing')
  new Process().interrupt()
  expectTypeOf(getContext('spawn').Process).toEqualTypeOf<typeof Process>()
  expectTypeOf(getStartMethod()).toEqualTypeOf<'spawn'>()
  expectTypeOf(getStartMethod(true)).toEqualTypeOf<'spawn' | null>()
  expectTypeOf(getAllStartMethods()).toEqualTypeOf<['spawn']>()
})
