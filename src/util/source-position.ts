/**
 * Where SQL a TypeScript migration passes to `op.execute` sits in its file, so that an
 * error in it can name the file's line as it does for SQL migrations. Only SQL written
 * out literally is found; SQL built with `${...}` or by op helpers is not (undefined).
 * Statements come in order, so the search starts after the previous one and falls back
 * to the whole file (the same text written twice is found where it comes first).
 */
export function findInSource(text: string, sql: string, from = 0): number | undefined {
  if (sql.trim() === '') return undefined
  const index = text.indexOf(sql, from)
  if (index >= 0) return index
  const anywhere = text.indexOf(sql)
  return anywhere >= 0 ? anywhere : undefined
}

/** 1-based line and column of a string index. */
export function lineAndColumn(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index)
  return { line: before.split('\n').length, column: index - before.lastIndexOf('\n') }
}
