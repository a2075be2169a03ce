/**
 * Brackets on a fixed-length sequence (`Array`, `ShareableList`) mean what its `get`/`set` mean,
 * so that `arr[-1]` or `arr[99]` is the method's answer or error, never a silent `undefined`.
 */

/** A property key that is an array index as JavaScript writes one: `'0'`, `'-1'`, `'1.5'`, `'NaN'`. */
function numericKey(key: string | symbol): number | undefined {
  if (typeof key !== 'string' || key === '') return undefined
  const n = Number(key)
  return String(n) === key ? n : undefined
}

/** `target` behind a proxy whose numeric keys read and write through `get(i)` / `set(i, value)`. */
export function withIndexing<T extends { get(index: number): unknown; set(index: number, value: never): unknown }>(target: T): T {
  return new Proxy(target, {
    get: (obj, key, receiver) => {
      const n = numericKey(key)
      return n === undefined ? Reflect.get(obj, key, receiver) : obj.get(n)
    },
    set: (obj, key, value, receiver) => {
      const n = numericKey(key)
      if (n === undefined) return Reflect.set(obj, key, value, receiver)
      obj.set(n, value as never)
      return true
    },
  })
}
