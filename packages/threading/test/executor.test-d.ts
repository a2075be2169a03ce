import { expectTypeOf, test } from 'vitest'
import { ThreadPoolExecutor, ThreadPool, type Future, type AsyncResult, type IMapIterator } from '@conc/threading'

function work(label: string, times: number): number {
  return label.length * times
}
async function later(x: number): Promise<string> {
  return String(x)
}

test('submit infers args and result from fn', () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 })
  expectTypeOf(executor.submit(work, 'a', 2)).toEqualTypeOf<Future<number>>()
  expectTypeOf(executor.submit(later, 1)).toEqualTypeOf<Future<string>>()
  // @ts-expect-error: a wrong argument type is a compile error
  executor.submit(work, 1, 2)
  // @ts-expect-error: a missing argument is a compile error
  executor.submit(work, 'a')
  executor.submitWith({ timeout: 1, signal: AbortSignal.timeout(1000) }, work, 'a', 2)
  // @ts-expect-error: submitWith checks the arguments too
  executor.submitWith({}, work, 'a', 'b')
  expectTypeOf(executor.map(later, [1, 2])).toEqualTypeOf<AsyncIterableIterator<string>>()
  // @ts-expect-error: map items must fit fn's parameter
  executor.map(later, ['x'])
  void executor.shutdown()
})

test('the pool API infers from fn as well', () => {
  const pool = new ThreadPool({ processes: 1 })
  expectTypeOf(pool.apply(work, ['a', 2])).toEqualTypeOf<Promise<number>>()
  expectTypeOf(pool.applyAsync(later, [1])).toEqualTypeOf<AsyncResult<string>>()
  // @ts-expect-error: apply checks args against fn
  void pool.apply(work, [1, 2])
  expectTypeOf(pool.map(later, [1, 2])).toEqualTypeOf<Promise<string[]>>()
  expectTypeOf(pool.starmap(work, [['a', 1]])).toEqualTypeOf<Promise<number[]>>()
  // @ts-expect-error: starmap items are argument lists of fn
  void pool.starmap(work, [[1, 'a']])
  pool.terminate()
})

test('map zips several iterables, each checked against its parameter of fn; options come last', () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 })
  expectTypeOf(executor.map(work, ['a', 'b'], [2, 3])).toEqualTypeOf<AsyncIterableIterator<number>>()
  expectTypeOf(executor.map(work, ['a'], new Set([2]), { chunksize: 2, timeout: 1 })).toEqualTypeOf<AsyncIterableIterator<number>>()
  expectTypeOf(executor.map(later, [1], { timeout: null })).toEqualTypeOf<AsyncIterableIterator<string>>()
  const optional = (a: number, b?: string): string => `${a}${b ?? ''}`
  expectTypeOf(executor.map(optional, [1])).toEqualTypeOf<AsyncIterableIterator<string>>()
  expectTypeOf(executor.map(optional, [1], ['x'])).toEqualTypeOf<AsyncIterableIterator<string>>()
  // @ts-expect-error: the second iterable must hold numbers
  executor.map(work, ['a'], ['b'])
  // @ts-expect-error: work takes two arguments, so map needs two iterables
  executor.map(work, ['a'])
  // @ts-expect-error: the first iterable must hold strings
  executor.map(work, [1], [2], { chunksize: 2 })
  // @ts-expect-error: an unknown option
  executor.map(later, [1], { chunk: 2 })
  // @ts-expect-error: more iterables than fn has parameters
  executor.map(later, [1], [2])
  void executor.shutdown()
})

test('imap and imapUnordered give iterators whose next() takes a timeout in seconds', async () => {
  const pool = new ThreadPool({ processes: 1 })
  const iter = pool.imap(later, [1, 2])
  expectTypeOf(iter).toEqualTypeOf<IMapIterator<string>>()
  expectTypeOf(pool.imapUnordered(later, [1, 2])).toEqualTypeOf<IMapIterator<string>>()
  expectTypeOf(iter.next(0.5)).toEqualTypeOf<Promise<IteratorResult<string, undefined>>>()
  expectTypeOf(iter.next).parameters.toEqualTypeOf<[timeout?: number | null | undefined]>()
  // @ts-expect-error: the timeout is a number of seconds
  void iter.next('1')
  for await (const value of iter) expectTypeOf(value).toEqualTypeOf<string>()
  pool.terminate()
})

test('transfer takes ArrayBuffers and ports, and refuses a view (transfer its .buffer)', () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 })
  const pool = new ThreadPool({ processes: 1 })
  const bytes = new Uint8Array(8)
  const { port1 } = new MessageChannel()
  const size = (data: Uint8Array): number => data.length
  executor.submitWith({ transfer: [bytes.buffer, port1] }, size, bytes)
  void pool.applyAsync(size, [bytes], { transfer: [bytes.buffer] })
  // @ts-expect-error: a Uint8Array is not transferable (Node throws DataCloneError); its buffer is
  executor.submitWith({ transfer: [bytes] }, size, bytes)
  // @ts-expect-error: nor is a DataView
  void pool.applyAsync(size, [bytes], { transfer: [new DataView(bytes.buffer)] })
  port1.close()
  void executor.shutdown()
  pool.terminate()
})
