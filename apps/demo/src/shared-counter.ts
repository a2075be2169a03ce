/**
 * The shared counter of the lesson on `multiprocessing.Manager()`, run with threads and with
 * processes. First the porting pitfall: a plain object passed to units is copied into each of
 * them, so what they write never reaches the program. Then Python's answer: a `Manager().dict()`
 * that the manager owns and every unit reaches through a proxy, updated under a managed `Lock`:
 *
 *   def conta(contador, lock, nome, vezes):
 *       for _ in range(vezes):
 *           with lock:
 *               contador['total'] += 1
 *               contador[nome] = contador.get(nome, 0) + 1
 *
 *   with multiprocessing.Manager() as manager:
 *       contador = manager.dict({'total': 0})
 *       lock = manager.Lock()
 *       ...start UNITS processes with args=(contador, lock, f'unidade-{i}', VEZES), join them
 *       print(contador['total'])
 *
 * The targets are exported from this module, so every unit imports it and finds them by reference.
 */
import * as multiprocessing from '@conc/multiprocessing'
import * as threading from '@conc/threading'

type Backend = typeof threading | typeof multiprocessing
type Runner = new <F extends threading.AnyFunction>(options: threading.RunnerOptions<F>) => { start(): void; join(): Promise<void> }

const UNITS = 4
const VEZES = 25

/** The pitfall: `contador` is the unit's own copy of the program's object. */
export function contaSemManager(contador: Record<string, number>, nome: string, vezes: number): void {
  for (let i = 0; i < vezes; i++) {
    contador.total = (contador.total ?? 0) + 1
    contador[nome] = (contador[nome] ?? 0) + 1
  }
}

/** `contador` is a proxy to the manager's dict: every unit updates the same one, under the lock. */
export async function conta(contador: threading.DictProxy<string, number>, lock: threading.Lock, nome: string, vezes: number): Promise<void> {
  for (let i = 0; i < vezes; i++) {
    await using _ = await lock.hold()
    await contador.set('total', ((await contador.get('total')) ?? 0) + 1)
    await contador.set(nome, ((await contador.get(nome)) ?? 0) + 1)
  }
}

async function runAll<F extends threading.AnyFunction>(Unit: Runner, target: F, args: (i: number) => Readonly<Parameters<F>>): Promise<void> {
  const units = Array.from({ length: UNITS }, (_, i) => new Unit({ target, args: args(i) }))
  for (const unit of units) unit.start()
  for (const unit of units) await unit.join()
}

/** The program with `backend`; returns its lines. */
async function program(backend: Backend): Promise<string[]> {
  const Unit: Runner = 'Thread' in backend ? backend.Thread : backend.Process
  const plain: Record<string, number> = { total: 0 }
  await runAll(Unit, contaSemManager, (i) => [plain, `unidade-${i + 1}`, VEZES] as const)
  const lines = [`  a plain object in args:  total = ${plain.total}  (each unit changed its own copy)`]

  await using manager = new backend.Manager()
  const contador = await manager.dict<string, number>({ total: 0 })
  const lock = await manager.Lock()
  await runAll(Unit, conta, (i) => [contador, lock, `unidade-${i + 1}`, VEZES] as const)
  const counts = await contador.toObject()
  const perUnit = Object.keys(counts)
    .filter((key) => key !== 'total')
    .sort()
    .map((key) => `${key}=${counts[key]}`)
  lines.push(`  manager.dict() + manager.Lock():  total = ${counts.total} of ${UNITS * VEZES}  (${perUnit.join(', ')})`)
  return lines
}

const runs: readonly { readonly title: string; readonly backend: Backend }[] = [
  { title: "import * as backend from '@conc/threading'        (threads)", backend: threading },
  { title: "import * as backend from '@conc/multiprocessing'  (processes)", backend: multiprocessing },
]

/** Runs the shared counter with threads, then with processes. */
export async function runSharedCounter(): Promise<void> {
  console.log(`\n=== Shared counter: ${UNITS} units x ${VEZES} increments of one dict, without and with a Manager`)
  for (const { title, backend } of runs) {
    console.log(`--- ${title}`)
    const start = performance.now()
    for (const line of await program(backend)) console.log(line)
    console.log(`  (${((performance.now() - start) / 1000).toFixed(2)} s)`)
  }
}
