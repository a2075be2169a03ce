import { expectTypeOf, test } from 'vitest'
import { BaseManager, Lock, Manager, Queue, type AutoProxy, type DictProxy, type ListProxy, type ManagerAddress, type NamespaceProxy } from '@conc/threading'

class Counter {
  n = 0
  increment(by: number): number {
    return (this.n += by)
  }
  async later(): Promise<string> {
    return 'x'
  }
}

test('a manager makes typed proxies, whose methods return promises', async () => {
  const manager = new Manager()
  const d = await manager.dict<string, number>()
  expectTypeOf(d).toEqualTypeOf<DictProxy<string, number>>()
  expectTypeOf(d.get('a')).toEqualTypeOf<Promise<number | undefined>>()
  expectTypeOf(d.get('a', 0)).toEqualTypeOf<Promise<number>>()
  expectTypeOf(d.items()).toEqualTypeOf<Promise<[string, number][]>>()
  // @ts-expect-error a number dict holds numbers
  void d.set('a', 'one')
  const l = await manager.list([1, 2])
  expectTypeOf(l).toEqualTypeOf<ListProxy<number>>()
  expectTypeOf(l.copy()).toEqualTypeOf<Promise<number[]>>()
  const ns = await manager.Namespace({ x: 1, y: 'two' })
  expectTypeOf(ns).toEqualTypeOf<NamespaceProxy<{ x: number; y: string }>>()
  expectTypeOf(ns.get('y')).toEqualTypeOf<Promise<string>>()
  expectTypeOf(await manager.Lock()).toEqualTypeOf<Lock>()
  expectTypeOf(await manager.Queue<string>()).toEqualTypeOf<Queue<string>>()
  expectTypeOf((await manager.Array('q', 2)).get(0)).toEqualTypeOf<Promise<bigint>>()
})

test('an auto proxy maps each method of the class to a promise of its result', async () => {
  class CounterManager extends BaseManager {
    declare Counter: () => Promise<AutoProxy<Counter>>
  }
  CounterManager.register('Counter', Counter)
  const counter = await new CounterManager().Counter()
  expectTypeOf(counter.increment(1)).toEqualTypeOf<Promise<number>>()
  expectTypeOf(counter.later()).toEqualTypeOf<Promise<string>>()
  // @ts-expect-error fields are not methods: a proxy has none
  void counter.n
})

test('a remote manager: an address and an authkey; connect() and start() return the manager, serveForever() nothing', async () => {
  class QueueManager extends BaseManager {
    declare getQueue: () => Promise<Queue<string>>
  }
  QueueManager.register('getQueue')
  const client = await new QueueManager({ address: ['127.0.0.1', 50000], authkey: 'abracadabra' }).connect()
  expectTypeOf(client).toEqualTypeOf<QueueManager>()
  expectTypeOf(await client.getQueue()).toEqualTypeOf<Queue<string>>()
  const server = await new Manager({ address: '/tmp/manager.sock', authkey: new Uint8Array(32) }).start()
  expectTypeOf(server.address).toEqualTypeOf<ManagerAddress | null>()
  expectTypeOf(server.serveForever()).toEqualTypeOf<Promise<void>>()
  // @ts-expect-error an address is [host, port] or a path
  void new Manager({ address: ['127.0.0.1'] })
  // @ts-expect-error an authkey is a string or bytes
  void new Manager({ address: ['127.0.0.1', 0], authkey: 42 })
})
