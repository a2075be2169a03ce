// Raw fork peer that first loads the modules our child entry loads (see raw/worker-preload.mjs),
// then does what raw/child.mjs does.
await Promise.all(JSON.parse(process.argv[2]).map((url) => import(url)))
process.once('message', async ({ module, exportName, args }) => {
  const ns = await import(module)
  ns[exportName](...args)
  process.disconnect()
})
