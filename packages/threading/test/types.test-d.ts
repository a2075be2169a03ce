import { expectTypeOf, test } from 'vitest'
import { Thread, type RunnerOptions } from '@conc/threading'

function fazAlgo(valor: string, vezes: number): void {
  void valor
  void vezes
}

test('args are typed from the target', () => {
  new Thread({ target: fazAlgo, args: ['Pássaro', 2] })
  // @ts-expect-error: a wrong argument type is a compile error
  new Thread({ target: fazAlgo, args: [1, 2] })
  // @ts-expect-error: too few arguments
  new Thread({ target: fazAlgo, args: ['Pássaro'] })
  // @ts-expect-error: args are required when the target has required parameters
  new Thread({ target: fazAlgo })
  new Thread({ target: (...values: unknown[]) => values.length, args: [1, 1.5, 'Edson'] })
  new Thread({ target: () => 1 })
  new Thread({ name: 'no target', daemon: true })
  expectTypeOf<RunnerOptions<typeof fazAlgo>['args']>().toEqualTypeOf<readonly [valor: string, vezes: number]>()
})

test('members have the contract types', () => {
  const unit = new Thread({ target: fazAlgo, args: ['a', 1] })
  expectTypeOf(unit.start).returns.toEqualTypeOf<void>()
  expectTypeOf(unit.join).returns.toEqualTypeOf<Promise<void>>()
  expectTypeOf(unit.exitCode).toEqualTypeOf<number | null>()
  expectTypeOf(unit.ident).toEqualTypeOf<number | null>()
  expectTypeOf(unit.isAlive()).toEqualTypeOf<boolean>()
})
