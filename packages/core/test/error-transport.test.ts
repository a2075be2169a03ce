import { describe, expect, it } from 'vitest'
import { ConcTypeError, RuntimeError, ValueError, isConcError } from '../src/errors.js'
import { BrokenProcessPool, BrokenExecutor } from '../src/executor/errors.js'
import { deserializeThrown, loadErrorClasses } from '../src/internal/error-rebuild.js'
import { formatThrown, serializeThrown } from '../src/internal/error-transport.js'
import '../src/internal/target-ref.js' // loads the locator, as the runner does

const roundTrip = (value: unknown) => deserializeThrown(structuredClone(serializeThrown(value)))

/** A class this module does not export: it falls back to its nearest known ancestor. */
class LocalRangeError extends RangeError {
  override name = 'LocalRangeError'
}

describe('error transport', () => {
  it('keeps class (builtin), name, message, stack, cause and own properties', () => {
    class HttpError extends Error {
      status = 503
      override name = 'HttpError'
    }
    const original = new HttpError('unavailable', { cause: new RangeError('inner') })
    const back = roundTrip(original) as Error & { status: number; cause: Error }
    expect(back).toBeInstanceOf(Error)
    expect(back.name).toBe('HttpError')
    expect(back.message).toBe('unavailable')
    expect(back.stack).toBe(original.stack)
    expect(back.status).toBe(503)
    expect(back.cause).toBeInstanceOf(RangeError)
    expect(back.cause.message).toBe('inner')
  })

  it('rebuilds builtin error classes', () => {
    expect(roundTrip(new TypeError('t'))).toBeInstanceOf(TypeError)
    expect(roundTrip(new ReferenceError('r'))).toBeInstanceOf(ReferenceError)
  })

  it('carries thrown non-errors, and stringifies what cannot be cloned', () => {
    expect(roundTrip('plain string')).toBe('plain string')
    expect(roundTrip({ code: 1 })).toEqual({ code: 1 })
    const fn = function notCloneable() {}
    expect(roundTrip(fn)).toBe(String(fn))
    const error = Object.assign(new Error('x'), { callback: () => 1 })
    expect((roundTrip(error) as { callback: unknown }).callback).toBe('() => 1')
  })

  it('formats errors by stack and other values readably', () => {
    const error = new Error('boom')
    expect(formatThrown(error)).toBe(error.stack)
    expect(formatThrown('text')).toBe('Uncaught "text"')
  })

  it("rebuilds @conc's classes from the registry, synchronously, with brand, code and cause", () => {
    const error = new RuntimeError('bootstrapping', { code: 'ERR_CONC_BOOTSTRAP', cause: new ValueError('inner') })
    const back = roundTrip(error) as RuntimeError & { cause: ValueError }
    expect(back).toBeInstanceOf(RuntimeError)
    expect(isConcError(back)).toBe(true)
    expect(back.code).toBe('ERR_CONC_BOOTSTRAP')
    expect(back.name).toBe('RuntimeError')
    expect(back.stack).toBe(error.stack)
    expect(back.cause).toBeInstanceOf(ValueError)
    expect(back.cause.code).toBe('ERR_CONC_VALUE')
    const broken = roundTrip(new BrokenProcessPool('gone')) as Error
    expect(broken).toBeInstanceOf(BrokenProcessPool)
    expect(broken).toBeInstanceOf(BrokenExecutor)
    expect(roundTrip(new ConcTypeError('t'))).toBeInstanceOf(TypeError)
    expect(isConcError(roundTrip(new ConcTypeError('t')))).toBe(true)
  })

  it('rebuilds AggregateError with its errors and DOMException with its name', () => {
    const back = roundTrip(new AggregateError([new TypeError('a'), new ValueError('b')], 'both')) as AggregateError
    expect(back).toBeInstanceOf(AggregateError)
    expect(back.errors[0]).toBeInstanceOf(TypeError)
    expect(back.errors[1]).toBeInstanceOf(ValueError)
    const abort = roundTrip(new DOMException('stopped', 'AbortError')) as DOMException
    expect(abort).toBeInstanceOf(DOMException)
    expect(abort.name).toBe('AbortError')
    expect(abort.message).toBe('stopped')
  })

  it('a class that cannot be imported falls back to its nearest built-in ancestor, keeping its name', async () => {
    const serialized = structuredClone(serializeThrown(new LocalRangeError('x')))
    await loadErrorClasses(serialized)
    const back = deserializeThrown(serialized) as Error
    expect(back.constructor).toBe(RangeError)
    expect(back.name).toBe('LocalRangeError')
  })

  it('describes errors of old senders without classes by their built-in name', () => {
    const serialized = { $concError: 1, name: 'TypeError', message: 'm', stack: undefined, props: {} } as const
    expect(deserializeThrown(serialized)).toBeInstanceOf(TypeError)
  })
})

