import { expectTypeOf, test } from 'vitest'
import { Array as SharedArray, Barrier, Lock, Pipe, Queue, Process, Value, type Connection } from '@conc/multiprocessing'

test('shared values are typed by their typecode', () => {
  expectTypeOf(new Value('q', 1n).value).toEqualTypeOf<bigint>()
  expectTypeOf(new Value('d', 0.5).value).toEqualTypeOf<number>()
  expectTypeOf(new Value('c', 'a').value).toEqualTypeOf<string>()
  expectTypeOf(new SharedArray('i', 3).get(0)).toEqualTypeOf<number>()
  // @ts-expect-error a 'q' value is a bigint
  new Value('q', 'x')
})

test('slices of an Array are typed by its typecode', () => {
  const arr = new SharedArray('i', 3)
  expectTypeOf(arr.slice(0, 2)).toEqualTypeOf<number[]>()
  expectTypeOf(arr.slice(null, null, -1)).toEqualTypeOf<number[]>()
  expectTypeOf(arr.get(-1)).toEqualTypeOf<number>()
  arr.setSlice(0, 2, [1, 2])
  arr.setSlice(null, null, new Set([1]), 2)
  // @ts-expect-error an 'i' array holds numbers
  arr.setSlice(0, 1, ['x'])
  // @ts-expect-error a 'q' array holds bigints
  new SharedArray('q', 2).setSlice(0, 1, [1])
})

test('waits return promises of the Python results', () => {
  expectTypeOf(new Lock().acquire({ timeout: 1 })).toEqualTypeOf<Promise<boolean>>()
  expectTypeOf(new Queue<string>().get()).toEqualTypeOf<Promise<string>>()
  expectTypeOf(new Barrier(2).wait()).toEqualTypeOf<Promise<number>>()
  expectTypeOf(Pipe<number>()).toEqualTypeOf<[Connection<number>, Connection<number>]>()
  // @ts-expect-error a Queue<string> takes strings
  void new Queue<string>().put(1)
})

test('primitives in args are checked against the target', () => {
  const target = (_lock: Lock, _queue: Queue<number>) => {}
  new Process({ target, args: [new Lock(), new Queue<number>()] })
  // @ts-expect-error the arguments are swapped
  new Process({ target, args: [new Queue<number>(), new Lock()] })
})
