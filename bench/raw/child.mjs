// Raw child_process.fork peer of `Process`: receive the arguments over IPC, import the target's
// module, call the target, close the channel so the process exits.
process.once('message', async ({ module, exportName, args }) => {
  const ns = await import(module)
  ns[exportName](...args)
  process.disconnect()
})
