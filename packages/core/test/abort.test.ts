import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { onAbort } from '../src/internal/abort.js'

describe('onAbort: one listener per AbortSignal', () => {
  it('calls every callback once, in order, through one listener, and leaves none behind', () => {
    const controller = new AbortController()
    const calls: number[] = []
    for (let i = 0; i < 50; i++) onAbort(controller.signal, () => calls.push(i))
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    controller.abort()
    controller.abort()
    expect(calls).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('an unregistered callback is not called; the last one out removes the listener', () => {
    const controller = new AbortController()
    const calls: string[] = []
    const offA = onAbort(controller.signal, () => calls.push('a'))
    const offB = onAbort(controller.signal, () => calls.push('b'))
    offA()
    offA()
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    offB()
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    onAbort(controller.signal, () => calls.push('c'))
    controller.abort()
    expect(calls).toEqual(['c'])
  })

  it('a callback unregistered by an earlier one during the abort is not called, as with listeners', () => {
    const controller = new AbortController()
    const calls: number[] = []
    let offSecond: () => void = () => {}
    onAbort(controller.signal, () => {
      calls.push(1)
      offSecond()
    })
    offSecond = onAbort(controller.signal, () => calls.push(2))
    onAbort(controller.signal, () => calls.push(3))
    controller.abort()
    expect(calls).toEqual([1, 3])
  })

  it('a callback that throws does not keep the others from running; the error is reported as uncaught', async () => {
    const controller = new AbortController()
    const calls: string[] = []
    onAbort(controller.signal, () => {
      throw new Error('boom')
    })
    onAbort(controller.signal, () => calls.push('after'))
    const uncaught = new Promise<Error>((resolve) => process.once('uncaughtException', resolve))
    controller.abort()
    expect(calls).toEqual(['after'])
    expect((await uncaught).message).toBe('boom')
  })
})
