/** How a value reads in an error message: its type and a short rendering of it. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return `an array (${truncate(JSON.stringify(value), 40)})`
  switch (typeof value) {
    case 'string':
      // A URL's path, query and credentials may be a token (a webhook's, a signed link):
      // its scheme and host say enough of what was found.
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && URL.canParse(value)) {
        const url = new URL(value)
        return `a ${url.protocol.slice(0, -1)} URL on ${url.host || 'no host'} (the rest not shown)`
      }
      return `the string ${JSON.stringify(truncate(value, 40))}`
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`
    case 'function':
      return 'a function'
    default:
      return 'an object'
  }
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
