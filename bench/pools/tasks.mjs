// ESM face of tasks.cjs, for the libraries that load a module by URL (@conc's fromModule,
// piscina, tinypool) and for the drivers.
import tasks from './tasks.cjs'

export const { inc, countPrimes, incChunk, sleepInc, echoBytes } = tasks

/** piscina / tinypool call the default export when no name is given. */
export default inc
