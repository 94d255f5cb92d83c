import { InvalidInputError, UsageError } from '../errors/index.js'
import { shortList } from '../util/plural.js'
import { type CatalogEntry, findBackup, listBackups } from './catalog.js'
import type { BackupManifest } from './manifest.js'

/**
 * Why a backup cannot stand for a whole database, or undefined when it can: restored
 * as the whole database (swapped in, or over it in place), a backup of some tables, of
 * the definitions or the rows alone, or of one schema would leave the database without
 * everything it does not hold. The restored copy passes its own checks (it matches its
 * manifest), so this must be known before anything is restored.
 */
export function partialBackup(
  manifest: BackupManifest,
): { what: string; why: string; hint: string } | undefined {
  const { options } = manifest
  if (manifest.format === 'base')
    return {
      what: 'is a base backup (physical)',
      why: 'a base backup',
      hint: 'restore it with `strata pitr restore --target-time ...`',
    }
  if (options.dataOnly)
    return {
      what: 'holds rows only (a --data-only backup): restored as the whole database it would leave one without tables',
      why: 'rows only',
      hint:
        manifest.format === 'plain'
          ? 'a plain data-only dump goes into existing tables by hand: take a backup, then psql -v ON_ERROR_STOP=1 -1 -f it'
          : "replace tables' rows in the live database with -t TABLE --data-only (repeatable)",
    }
  if (options.schemaOnly)
    return {
      what: 'holds the definitions only (a --schema-only backup): restored as the whole database it would leave every table empty',
      why: 'definitions only',
      hint: 'pick a backup with rows (`strata backups list`)',
    }
  const schemas = options.schemas ?? []
  if (schemas.length > 0)
    return {
      what: `holds only schema ${schemas.join(', ')}; restoring it as the whole database would lose every other schema`,
      why: `only schema ${schemas.join(', ')}`,
      hint: `restore its tables into the live database with -t ${schemas[0]}.TABLE (repeatable)`,
    }
  if (options.tables.length > 0) {
    const held = Object.keys(manifest.rowCounts)
    const tables = `${held.length === 1 ? 'table' : 'tables'} ${shortList(held.length > 0 ? held : options.tables, 5)}`
    return {
      why: `only ${tables}`,
      what: `holds only ${tables} (taken with -t); restored as the whole database it would lose every other table`,
      hint: `restore ${held.length === 1 ? 'it' : 'them'} into the live database with -t${held.length > 0 ? ` ${held[0]}` : ' TABLE'} (repeatable), or pick a whole backup (\`strata backups list\`)`,
    }
  }
  return undefined
}

/** A whole-database restore's backup: refused, before anything happens, when it is partial. */
export function requireWholeBackup(manifest: BackupManifest): void {
  const partial = partialBackup(manifest)
  if (partial !== undefined)
    throw new UsageError(`${manifest.id} ${partial.what}. Nothing was changed`, { hint: partial.hint })
}

export interface RestoreSource {
  readonly entry: CatalogEntry
  /** For `latest`: newer backups passed over, and why each does not suit this restore. */
  readonly passedOver: readonly { readonly id: string; readonly why: string }[]
}

/**
 * The backup a restore reads. An id or a path is taken as given (and refused later if
 * it does not suit). `latest` is the newest backup that suits the restore: of this
 * database (unless restoring another's on purpose) and, for a whole restore, a whole
 * one; for a table restore, the newest holding the tables (`holds`). A safety backup of
 * one table, written by a partial restore a minute ago, is never what `latest` means
 * for a whole restore.
 */
export function findRestoreBackup(
  reference: string,
  directory: string,
  want: {
    readonly database: string
    readonly intoOtherDatabase?: boolean
    /** A table restore: why a backup does not hold what it needs, or undefined when it does. Absent for a whole restore. */
    readonly holds?: (manifest: BackupManifest) => string | undefined
  },
): RestoreSource {
  if (reference !== 'latest') return { entry: findBackup(reference, directory), passedOver: [] }
  const catalog = listBackups(directory)
  if (catalog.length === 0)
    throw new InvalidInputError(`no backups in ${directory}`, { hint: 'take one with `strata backup`' })
  const passedOver: { id: string; why: string }[] = []
  for (const entry of catalog) {
    const { manifest } = entry
    const why =
      manifest.database !== want.database && !want.intoOtherDatabase
        ? `of database ${manifest.database}`
        : want.holds !== undefined
          ? want.holds(manifest)
          : partialBackup(manifest)?.why
    if (why === undefined) return { entry, passedOver }
    passedOver.push({ id: manifest.id, why })
  }
  throw new InvalidInputError(
    `no backup in ${directory} suits this restore of ${want.database}: ${passedOver
      .slice(0, 5)
      .map((skipped) => `${skipped.id} (${skipped.why})`)
      .join('; ')}${passedOver.length > 5 ? `; and ${passedOver.length - 5} more` : ''}`,
    {
      hint:
        want.holds === undefined
          ? `take a whole backup of ${want.database} with \`strata backup\`, or name a backup by its id`
          : 'name the backup by its id (`strata backups list`)',
    },
  )
}
