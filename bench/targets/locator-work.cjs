// A task function in a CommonJS module, imported by locator.mjs.
const { platform } = require('node:os')

exports.commonJsTask = function commonJsTask(x) {
  return `${x} on ${platform()}`
}
