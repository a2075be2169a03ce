/**
 * What both ends do with a fresh socket: wrap it in a transport, run the authentication in
 * Python's order (the listener challenges first, the client answers first), within the
 * handshake timeout, and only then read messages.
 */
import type { Socket } from 'node:net'
import { setLongTimeout } from '../internal/timeout.js'
import { answerChallenge, deliverChallenge } from './auth.js'
import { AuthenticationError } from './errors.js'
import type { Limits } from './options.js'
import { type Serializer, SocketTransport } from './socket-transport.js'

let v8: Serializer | undefined

/** V8 serialization, as the process backend uses it; loaded when the first socket opens. */
async function serializer(): Promise<Serializer> {
  if (v8 === undefined) {
    const { serialize, deserialize } = await import('node:v8')
    v8 = { serialize, deserialize: (bytes) => deserialize(bytes) as unknown }
  }
  return v8
}

export async function openTransport(socket: Socket, limits: Limits, side: 'listener' | 'client'): Promise<SocketTransport> {
  const peer = socket.remoteAddress === undefined ? 'unix' : `${socket.remoteAddress}:${socket.remotePort ?? ''}`
  const transport = new SocketTransport(socket, await serializer(), limits.maxMessageSize, peer)
  const authkey = limits.authkey
  if (authkey !== undefined) {
    const controller = new AbortController()
    const timer =
      limits.handshakeMs === undefined
        ? undefined
        : setLongTimeout(() => {
            const seconds = (limits.handshakeMs ?? 0) / 1000
            controller.abort(new AuthenticationError(`the peer did not complete the authentication handshake within ${seconds} seconds`))
          }, limits.handshakeMs)
    timer?.unref()
    try {
      if (side === 'listener') {
        await deliverChallenge(transport, authkey, controller.signal)
        await answerChallenge(transport, authkey, controller.signal)
      } else {
        await answerChallenge(transport, authkey, controller.signal)
        await deliverChallenge(transport, authkey, controller.signal)
      }
    } catch (error) {
      // Closed after what was sent (a #FAILURE#) has left.
      await transport.close()
      throw error
    } finally {
      if (timer !== undefined) clearTimeout(timer)
    }
  }
  transport.authenticated()
  return transport
}
