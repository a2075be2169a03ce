/**
 * Errors from a worker host, rebuilt here. Core's error transport keeps an error's builtin class,
 * name, message, stack, cause and own properties; the classes of @conc itself are rebuilt too
 * (a task whose local unit died on its host fails with a real `BrokenProcessPool`, as it does
 * with a local `Pool`).
 */
import {
  BrokenExecutor,
  BrokenProcessPool,
  BrokenThreadPool,
  CancelledError,
  ConcError,
  InvalidStateError,
  MaybeEncodingError,
  RuntimeError,
  TargetNotFoundError,
  TimeoutError,
  ValueError,
} from '@conc/core'
import { deserializeThrown, type SerializedThrown } from '@conc/core/engine'

const CLASSES: Record<string, new (message: string) => Error> = {
  BrokenExecutor,
  BrokenProcessPool,
  BrokenThreadPool,
  CancelledError,
  ConcError,
  InvalidStateError,
  MaybeEncodingError,
  RuntimeError,
  TargetNotFoundError,
  TimeoutError,
  ValueError,
}

/** The error a host sent, with @conc's own classes rebuilt as themselves. */
export function rebuildError(serialized: SerializedThrown): unknown {
  const error = deserializeThrown(serialized)
  if (!(error instanceof Error)) return error
  const code = (error as { code?: unknown }).code
  const Class = CLASSES[error.name]
  if (Class === undefined || typeof code !== 'string' || !code.startsWith('ERR_CONC_')) return error
  const rebuilt = new Class(error.message)
  for (const key of ['stack', 'cause'] as const) {
    if (key in error) Object.defineProperty(rebuilt, key, { value: error[key], writable: true, configurable: true })
  }
  for (const [key, value] of Object.entries(error)) if (key !== 'code' && key !== 'name') (rebuilt as unknown as Record<string, unknown>)[key] = value
  return rebuilt
}
