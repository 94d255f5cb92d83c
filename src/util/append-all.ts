/**
 * Appends `items` to `target` one by one. `target.push(...items)` passes every item as an
 * argument and throws "Maximum call stack size exceeded" past about 100,000 of them: a
 * seed migration of 200,000 INSERTs did, after the server had committed it.
 */
export function appendAll<T>(target: T[], items: Iterable<T>): void {
  for (const item of items) target.push(item)
}
