const lib = await import('@conc/multiprocessing')
const ex = new lib.ProcessPoolExecutor({ maxWorkers: 1 })
const url = new URL('file:///work/main/bench/pools/diag/_gap-tasks.mjs')
const fn = lib.fromModule((await import(url.href)).stamp, url)
for (let r = 0; r < Number(process.env.ROUNDS ?? 4); r++) {
  const c0 = process.cpuUsage(), t0 = performance.now(), f0 = process.resourceUsage()
  await Promise.all(Array.from({ length: 64 }, () => ex.submit(fn, 5)))
  const c = process.cpuUsage(c0)
  const f1 = process.resourceUsage(); console.log("faults", f1.minorPageFault - f0.minorPageFault, "volctx", f1.voluntaryContextSwitches - f0.voluntaryContextSwitches, (performance.now() - t0).toFixed(1), 'ms; program cpu', ((c.user + c.system) / 1000).toFixed(1), 'ms')
}
await ex.shutdown()
