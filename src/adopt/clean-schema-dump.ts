/**
 * Turns `pg_dump --schema-only` output into the body of a migration that runs inside
 * Strata's transaction, next to other migrations on the same connection:
 *
 * - `\restrict` / `\unrestrict` (psql meta-commands pg_dump writes since 17.6, 16.10 and
 *   15.14) are not SQL and go;
 * - the session settings of pg_dump's preamble would outlive the migration (`SET
 *   search_path = ''` for every later migration of the run): they go, except
 *   `check_function_bodies = false` (a function may name a table created after it),
 *   which becomes `SET LOCAL` and ends with the migration's transaction, as does
 *   `default_table_access_method`, which pg_dump repeats before tables. pg_dump
 *   qualifies every name it writes, so the empty search_path is not needed.
 *   Only the preamble is read this way: a function body may hold such lines too.
 * - runs of blank lines become one.
 */
export function cleanSchemaDump(dump: string): string {
  const kept: string[] = []
  let preamble = true
  for (const line of dump.split('\n')) {
    if (/^\\(un)?restrict\b/.test(line)) continue
    // pg_dump sets the access method again before each group of tables.
    if (/^SET default_table_access_method = \w+;$/.test(line)) {
      kept.push(line.replace(/^SET /, 'SET LOCAL '))
      continue
    }
    if (preamble) {
      const setting = /^SET (\w+) = (.+);$/.exec(line)
      if (setting) {
        if (setting[1] === 'check_function_bodies')
          kept.push(`SET LOCAL check_function_bodies = ${setting[2]};`)
        continue
      }
      if (/^SELECT pg_catalog\.set_config\('search_path', '', false\);$/.test(line)) continue
      if (line.trim() !== '' && !line.startsWith('--')) preamble = false
    }
    if (line.trim() === '' && (kept.length === 0 || kept.at(-1)!.trim() === '')) continue
    kept.push(line)
  }
  return kept.join('\n').trim()
}
