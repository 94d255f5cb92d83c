import { isAbsolute, relative } from 'node:path'

/** A path as a person reads it: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const fromCwd = relative(process.cwd(), file)
  return fromCwd !== '' && !fromCwd.startsWith('..') && !isAbsolute(fromCwd) ? fromCwd : file
}

/** A file's path relative to a checkout, with forward slashes, as code-review reports want it. */
export function repositoryPath(root: string, file: string): string {
  return relative(root, file).split('\\').join('/')
}
