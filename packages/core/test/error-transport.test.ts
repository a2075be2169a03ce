import { describe, expect, it } from 'vitest'
import { deserializeThrown, formatThrown, serializeThrown } from '../src/internal/error-transport.js'

const roundTrip = (value: unknown) => deserializeThrown(structuredClone(serializeThrown(value)))

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
})
