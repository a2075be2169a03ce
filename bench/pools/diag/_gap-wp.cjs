const workerpool = require('workerpool')
function stamp(ms) {
  const s = process.hrtime.bigint(); const until = s + BigInt(Math.round(ms * 1e6)); let e
  do e = process.hrtime.bigint(); while (e < until)
  return [Number(s / 1000n), Number(e / 1000n)]
}
workerpool.worker({ stamp })
