// Child side of ipc-encodings.mjs: answers each message in the same shape @conc's pool worker
// would (or x + 1 for a bare number), over Node's IPC channel or over a raw pipe on fd 3.
'use strict'
const { serialize, deserialize } = require('node:v8')
const net = require('node:net')

const mode = process.argv[2]
const answer = (m) => (typeof m === 'number' ? m + 1 : { t: 'p.done', v: [m.a[0] + 1], ms: 0.0123 })

if (mode === 'ipc') {
  process.on('message', (m) => process.send(answer(m)))
} else if (mode === 'ipc-text') {
  process.on('message', (m) => process.send(JSON.stringify(answer(JSON.parse(m)))))
} else {
  // Length-prefixed frames on a raw pipe: the body is JSON text or v8.serialize bytes.
  const pipe = new net.Socket({ fd: 3, readable: true, writable: true })
  const json = mode === 'pipe-json'
  let pending = Buffer.alloc(0)
  pipe.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 4) {
      const n = pending.readUInt32LE(0)
      if (pending.length < 4 + n) break
      const body = pending.subarray(4, 4 + n)
      pending = pending.subarray(4 + n)
      const m = json ? JSON.parse(body.toString('utf8')) : deserialize(body)
      const out = json ? Buffer.from(JSON.stringify(answer(m))) : serialize(answer(m))
      const head = Buffer.allocUnsafe(4)
      head.writeUInt32LE(out.length, 0)
      pipe.write(Buffer.concat([head, out]))
    }
  })
}
