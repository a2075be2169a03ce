import { describe, expect, it, vi } from 'vitest'
import { ConcError, ConcTypeError, RuntimeError, ValueError, fromModule, isConcError } from '../src/index.js'
import { MAX_TIMER_MS, setLongTimeout, timeoutToMs } from '../src/internal/timeout.js'
import { normalizeModule, targetSpec } from '../src/internal/target-ref.js'

describe('timeouts are seconds, as in Python', () => {
  it('converts, clamps negatives to 0, and waits forever on undefined/null/Infinity', () => {
    expect(timeoutToMs(1.5)).toBe(1500)
    expect(timeoutToMs(-1)).toBe(0)
    expect(timeoutToMs(undefined)).toBeUndefined()
    expect(timeoutToMs(null)).toBeUndefined()
    expect(timeoutToMs(Infinity)).toBeUndefined()
    expect(() => timeoutToMs(Number.NaN)).toThrow(ValueError)
    expect(() => timeoutToMs('1')).toThrow(ConcTypeError)
    expect(() => timeoutToMs('1')).toThrow("timeout must be a number of seconds, got '1' (string)")
  })

  it('a timer longer than Node allows (2^31 - 1 ms) fires at its time, not after 1 ms', () => {
    vi.useFakeTimers()
    try {
      let fired = 0
      const month = 30 * 24 * 3600 * 1000
      setLongTimeout(() => fired++, month)
      vi.advanceTimersByTime(month - 1000)
      expect(fired).toBe(0)
      vi.advanceTimersByTime(1000)
      expect(fired).toBe(1)
      vi.advanceTimersByTime(month)
      expect(fired).toBe(1)
      const cleared = setLongTimeout(() => fired++, month)
      vi.advanceTimersByTime(MAX_TIMER_MS + 10)
      clearTimeout(cleared)
      vi.advanceTimersByTime(month)
      expect(fired).toBe(1)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('errors', () => {
  it('have a stable code and a brand', () => {
    const error = new RuntimeError('threads can only be started once')
    expect(error).toBeInstanceOf(ConcError)
    expect(error.name).toBe('RuntimeError')
    expect(error.code).toBe('ERR_CONC_RUNTIME')
    expect(isConcError(error)).toBe(true)
    expect(isConcError(new Error('x'))).toBe(false)
    const typeError = new ConcTypeError('bad')
    expect(typeError).toBeInstanceOf(TypeError)
    expect(typeError.code).toBe('ERR_CONC_INVALID_ARG_TYPE')
    expect(isConcError(typeError)).toBe(true)
  })

  it('are recognised by brand after a copy loses the prototype', () => {
    const error = new ValueError('v')
    const copy = Object.create(Error.prototype) as Error
    Object.defineProperty(copy, Symbol.for('@conc/error'), { value: true })
    expect(isConcError(copy)).toBe(true)
    expect(isConcError(error)).toBe(true)
  })
})

describe('fromModule and target specs', () => {
  it('marks a function with its module and export, and returns it', () => {
    function work(n: number) {
      return n
    }
    expect(fromModule(work, '/abs/work.js')).toBe(work)
    expect(targetSpec(work, 'file:///caller.js')).toMatchObject({
      name: 'work',
      module: 'file:///abs/work.js',
      exportName: 'work',
      explicit: true,
    })
  })

  it('names the module that defines an unmarked function, and keeps the caller to try next', () => {
    const spec = targetSpec(function plain() {}, 'file:///caller.js')
    expect(spec).toMatchObject({ name: 'plain', module: import.meta.url, caller: 'file:///caller.js', explicit: false })
    expect(spec.source).toContain('function plain')
  })

  it('uses the caller module for a function that no module defines', () => {
    const made = (0, eval)('(function made() {})') as () => void
    expect(targetSpec(made, 'file:///caller.js')).toMatchObject({ name: 'made', module: 'file:///caller.js', caller: undefined })
  })

  it('rejects relative module paths and anonymous functions without a name', () => {
    expect(() => normalizeModule('./work.js')).toThrow(/absolute path/)
    expect(normalizeModule(new URL('file:///a/b.js'))).toBe('file:///a/b.js')
    expect(() => fromModule((() => () => 1)(), '/abs/x.js')).toThrow(/export name/)
  })
})
