/**
 * A process unit's messages go two ways (src/wire-pipe.ts): plain JSON ones as lines on a pipe,
 * the others through the V8 IPC channel. Whatever the two streams' timing, the receiver must hand
 * every message over in the order it was sent, and a message V8 refuses must not hold back the
 * ones after it.
 */
import { once } from 'node:events'
import { createServer, connect, type Socket } from 'node:net'
import { tempDir } from '@conc/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { WireIn, WireOut } from '../src/wire-pipe.js'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

/** Two connected sockets: what one writes, the other reads. */
async function socketPair(): Promise<[Socket, Socket, () => void]> {
  const path = tmp.file(`wire-${Math.random().toString(36).slice(2)}.sock`)
  const server = createServer()
  server.listen(path)
  await once(server, 'listening')
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const client = connect(path)
  await once(client, 'connect')
  const [peer] = await accepted
  return [client, peer, () => {
    client.destroy()
    peer.destroy()
    server.close()
  }]
}

/**
 * Runs each call 0-3 ms after it is made (at random, independently of the others), in the order
 * made: a stream that is sometimes late and sometimes not.
 */
function lateQueue(): (run: () => void) => void {
  let last = Promise.resolve()
  let lastAt = 0
  return (run) => {
    const at = Math.max(lastAt, performance.now() + (Math.random() < 0.5 ? 0 : Math.random() * 3))
    lastAt = at
    last = last.then(() => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())))).then(run)
  }
}

/** A channel that delivers each message 0-3 ms late, in order (as Node's IPC channel). */
function slowChannel(deliver: (message: unknown) => void): (message: unknown, done: (error: Error | null) => void) => void {
  const later = lateQueue()
  return (message, done) => {
    // What V8 would refuse, refused as the real channel does: synchronously.
    const copy = structuredClone(message)
    later(() => deliver(copy))
    done(null)
  }
}

/** `socket` for writing, each write passed on 0-3 ms late, in order. */
function slowWriter(socket: Socket): Socket {
  const later = lateQueue()
  const write = (data: string, done?: (error?: Error | null) => void): boolean => {
    later(() => void socket.write(data, done))
    return true
  }
  return { write, writableLength: 0, destroyed: false, ref: () => socket, unref: () => socket } as unknown as Socket
}

describe('the process wire: JSON lines on a pipe, the rest through the V8 channel', () => {
  it('hands 600 messages of both kinds over in the order they were sent, whatever the timing', async () => {
    const [a, b, close] = await socketPair()
    try {
      const received: unknown[] = []
      const wireIn = new WireIn((message) => received.push(message), b)
      // Either stream may be the late one.
      const wireOut = new WireOut(slowChannel((message) => wireIn.receive(message)), slowWriter(a))
      const sent: unknown[] = []
      for (let i = 0; i < 600; i++) {
        // Plain ones go as JSON lines; a Map, undefined or a big array through the channel.
        const kind = Math.floor(Math.random() * 4)
        const message =
          kind === 0 ? { t: 'p.done', b: i, v: [i] } : kind === 1 ? { t: 'p.done', b: i, v: [new Map([[i, 'x']])] } : kind === 2 ? { t: 'p.done', b: i, v: [undefined] } : { t: 'p.run', b: i, a: Array.from({ length: 100 }, (_, k) => k) }
        sent.push(message)
        wireOut.send(message)
        if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 2))
      }
      const until = Date.now() + 10_000
      while (received.length < sent.length && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5))
      expect(received.map((m) => (m as { b: number }).b)).toEqual(sent.map((m) => (m as { b: number }).b))
      expect(received).toEqual(sent)
    } finally {
      close()
    }
  })

  it('a message V8 refuses throws when sent and holds back nothing after it', async () => {
    const [a, b, close] = await socketPair()
    try {
      const received: unknown[] = []
      const wireIn = new WireIn((message) => received.push(message), b)
      const wireOut = new WireOut(slowChannel((message) => wireIn.receive(message)), a)
      wireOut.send({ t: 'p.done', b: 1, v: [1] })
      expect(() => wireOut.send({ t: 'p.done', b: 2, v: [() => 1] })).toThrow()
      wireOut.send({ t: 'p.done', b: 3, v: [new Map()] })
      wireOut.send({ t: 'p.done', b: 4, v: [4] })
      const until = Date.now() + 5000
      while (received.length < 3 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5))
      expect(received.map((m) => (m as { b: number }).b)).toEqual([1, 3, 4])
    } finally {
      close()
    }
  })
})
