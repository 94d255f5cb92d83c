import type { PyCall, PyValue } from './python-calls.js'

/** Why a migration cannot be ported automatically, and where. */
export class NotPortable extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(reason)
  }
}

export function arg(call: PyCall, position: number, keyword: string): PyValue | undefined {
  return call.kwargs[keyword] ?? call.args[position]
}

export function str(value: PyValue | undefined, call: PyCall): string {
  if (value?.kind === 'str') return value.value
  // op.f('name'): a name given as it is, past any naming convention.
  if (value?.kind === 'call' && value.callee === 'op.f' && value.args[0]?.kind === 'str')
    return value.args[0].value
  throw new NotPortable(call.line, `${call.callee}() needs a string where it has ${describe(value)}`)
}

export function num(value: PyValue, call: PyCall): string {
  if (value.kind === 'num') return value.value
  throw new NotPortable(call.line, `${call.callee}() needs a number where it has ${describe(value)}`)
}

export function listOf(value: PyValue | undefined, call: PyCall): readonly PyValue[] {
  if (value?.kind === 'list') return value.items
  if (value?.kind === 'str') return [value]
  throw new NotPortable(call.line, `${call.callee}() needs a list where it has ${describe(value)}`)
}

export const isTrue = (value: PyValue | undefined) => value?.kind === 'const' && value.value === 'True'
export const isFalse = (value: PyValue | undefined) => value?.kind === 'const' && value.value === 'False'
export const isNone = (value: PyValue | undefined) => value?.kind === 'const' && value.value === 'None'

export function describe(value: PyValue | undefined): string {
  if (value === undefined) return 'nothing'
  if (value.kind === 'call') return `${value.callee}(...)`
  if (value.kind === 'name') return value.path
  if (value.kind === 'list') return 'a list'
  if (value.kind === 'dict') return 'a dict'
  if (value.kind === 'const') return value.value
  return value.kind === 'str' ? `'${value.value.slice(0, 30)}'` : value.value
}
