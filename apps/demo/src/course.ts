/**
 * The course lesson, line for line: the same `faz_algo` examples started with `Thread` and with
 * `Process`. The targets are exported from this module, the one that starts the runners, so each
 * worker thread or child process imports this module and finds them by reference.
 */
import { Process } from '@conc/multiprocessing'
import { Thread, type AnyFunction, type RunnerOptions } from '@conc/threading'

/** Example 1: `def faz_algo(valor): print(f'Fazendo algo com o {valor}')`. */
export function fazAlgo(valor: string): void {
  console.log(`Fazendo algo com o ${valor}`)
}

/** Example 2: `def faz_algo(*args)`, one line per argument with its type (`typeof` here). */
export function fazAlgoComArgs(...args: unknown[]): void {
  for (const arg of args) {
    console.log(`Fazendo algo com o "${String(arg)}" do tipo ${typeof arg}.`)
  }
}

/** What `Thread` and `Process` have in common, for this lesson: the same constructor shape. */
type Runner = new <F extends AnyFunction>(options: RunnerOptions<F>) => {
  start(): void
  join(timeout?: number): Promise<void>
}

/** Python's `main()`: start one unit, wait for it. */
async function run<F extends AnyFunction>(Unit: Runner, options: RunnerOptions<F>): Promise<void> {
  const th = new Unit(options)
  th.start()
  await th.join()
}

const backends: readonly { readonly title: string; readonly Unit: Runner }[] = [
  { title: 'threading.Thread  ->  Thread from @conc/threading (worker_threads)', Unit: Thread },
  { title: 'multiprocessing.Process  ->  Process from @conc/multiprocessing (child_process.fork)', Unit: Process },
]

/** Runs both examples with each backend, printing a heading per section. */
export async function runCourse(): Promise<void> {
  for (const { title, Unit } of backends) {
    console.log(`\n=== ${title}`)
    console.log(`--- example 1: faz_algo(valor), args=('Pássaro',)`)
    await run(Unit, { target: fazAlgo, args: ['Pássaro'] })
    console.log(`--- example 2: faz_algo(*args), args=(1, 1.5, "Edson")`)
    await run(Unit, { target: fazAlgoComArgs, args: [1, 1.5, 'Edson'] })
  }
}
