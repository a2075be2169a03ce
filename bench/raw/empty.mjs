// What a user writes by hand for `new Worker(file)` / `fork(file)`: a file that imports nothing
// (and here does nothing, like the no-op target of the comparison).
