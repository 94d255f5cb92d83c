import type { ColumnDef, Constraint, Node, RangeVar } from 'libpg-query'
import { nameList, nodeKind, nodeOf, objectNames, relationName, type TypeInfo, typeInfo } from './ast.js'

/** What is known about a column before a statement runs. */
export interface ColumnFacts {
  readonly type: TypeInfo
  readonly notNull: boolean
}

/**
 * A view or stored generated column that reads a column: PostgreSQL refuses to retype
 * or drop the column under it. With the SQL that takes it down and makes it again.
 */
export interface ColumnReader {
  /** `view public.active_users`, `generated column users.email_lower` */
  readonly what: string
  readonly drop: string
  readonly create: string
  /** What a DROP in the migration names when it takes it down first: the view, or `table.column`. */
  readonly name: string
}

/** What the database says about one table (connected mode). */
export interface TableFacts {
  readonly sizeBytes: number
  /**
   * The planner's estimate (`pg_class.reltuples`); for a table never analysed, the exact
   * count of a small one (`rowsCounted`) or the planner's estimate from its size on disk
   * (`rowsPlanned`); -1 when neither could be had (its lock was held).
   */
  readonly rows: number
  readonly rowsCounted?: boolean
  /** `rows` is the planner's estimate from the size on disk of a table never analysed. */
  readonly rowsPlanned?: boolean
  /**
   * A session holds or awaits ACCESS EXCLUSIVE on the table: `sizeBytes` is the
   * catalog's page count, since measuring would wait behind that lock.
   */
  readonly sizeEstimated?: boolean
  readonly columns: ReadonlyMap<string, ColumnFacts>
  /** Columns proven NOT NULL by a validated `CHECK (col IS NOT NULL)`. */
  readonly notNullChecks: ReadonlySet<string>
  /** The leading plain columns of each valid, non-partial index (connected mode). */
  readonly indexLeadingColumns?: readonly (readonly string[])[]
  /** A partitioned table's partitions (direct ones); absent for a plain table. */
  readonly partitions?: readonly string[]
  /** The name of its primary key constraint, when it has one (connected mode). */
  readonly primaryKey?: string
  /** Column → the views and generated columns that read it (connected mode). */
  readonly columnReaders?: ReadonlyMap<string, readonly ColumnReader[]>
  /**
   * Publications that replicate its UPDATEs or DELETEs through the primary key (replica
   * identity DEFAULT): without the key, both fail on the primary.
   */
  readonly publishedBy?: readonly string[]
}

/** A table key: unqualified names and `public.` names are the same table. */
export function tableKey(name: string): string {
  return name.startsWith('public.') ? name.slice('public.'.length) : name
}

interface ModelTable {
  columns: Map<string, ColumnFacts>
  notNullChecks: Set<string>
  /** Columns the analysed SQL made NOT NULL whose other facts are unknown (offline, a table made elsewhere). */
  madeNotNull: Set<string>
}

/**
 * The schema as the analysed migrations change it, statement by statement: which
 * tables were created in the current migration (empty, so no lock hazard), the
 * column types (to tell a free type change from a rewrite), and NOT NULL checks.
 * Seeded from the database in connected mode.
 */
export class SchemaModel {
  readonly #tables = new Map<string, ModelTable>()
  /** Tables created by the migration being analysed (or absent from the database). */
  #newTables = new Set<string>()
  /** Functions created by the migration being analysed: dropping one again breaks nothing. */
  #newFunctions = new Set<string>()
  readonly #pendingChecks = new Map<string, { table: string; column: string }>()
  /**
   * Constraints the analysed SQL added (foreign keys once validated), by table key: what
   * a partitioned table's own constraint adopts (`foreign users(user_id)`, `unique(a,b)`).
   */
  readonly #constraints = new Map<string, Set<string>>()
  /** Foreign keys added NOT VALID, by table key and name, until their VALIDATE. */
  readonly #pendingForeignKeys = new Map<string, string>()
  /** The plain columns of the indexes the analysed SQL created, by index name (for USING INDEX). */
  readonly #indexColumns = new Map<string, string[]>()
  /** Tables the analysed SQL created or changed: their partitions, or null for a plain table. */
  readonly #partitions = new Map<string, string[] | null>()

  constructor(private readonly database?: ReadonlyMap<string, TableFacts>) {}

  /** Starts a migration: tables it creates are "new" until it ends. */
  beginMigration(): void {
    this.#newTables = new Set()
    this.#newFunctions = new Set()
  }

  /** True for a function the current migration created (a helper it drops again at its end). */
  isNewFunction(name: string): boolean {
    return this.#newFunctions.has(tableKey(name))
  }

  /** True when the table has rows that concurrent traffic uses: not created in this migration. */
  isExisting(table: string): boolean {
    const key = tableKey(table)
    if (this.#newTables.has(key)) return false
    // Connected: a table the database does not have yet (created by an earlier pending migration) is empty.
    if (this.database !== undefined && !this.database.has(key) && this.#tables.has(key)) return false
    return true
  }

  /**
   * A partitioned table's partitions as far as known (possibly none yet); null for a
   * table known to be plain; undefined when nothing is known of it (offline).
   */
  partitionsOf(table: string): readonly string[] | null | undefined {
    const key = tableKey(table)
    const analysed = this.#partitions.get(key)
    if (analysed !== undefined) return analysed
    const known = this.database?.get(key)
    return known === undefined ? undefined : (known.partitions ?? null)
  }

  /** The partition list to change: the table is partitioned (it is given partitions). */
  #partitionList(table: string): string[] {
    const key = tableKey(table)
    let list = this.#partitions.get(key)
    if (list === undefined || list === null) {
      list = [...(this.database?.get(key)?.partitions ?? [])]
      this.#partitions.set(key, list)
    }
    return list
  }

  facts(table: string): TableFacts | undefined {
    return this.database?.get(tableKey(table))
  }

  column(table: string, column: string): ColumnFacts | undefined {
    const key = tableKey(table)
    return this.#tables.get(key)?.columns.get(column) ?? this.database?.get(key)?.columns.get(column)
  }

  /** True when the column is known to be NOT NULL: from the database, or made so by the analysed SQL. */
  isNotNull(table: string, column: string): boolean {
    return (
      this.column(table, column)?.notNull === true ||
      this.#tables.get(tableKey(table))?.madeNotNull.has(column) === true
    )
  }

  /** The plain columns of an index the analysed SQL created, by name (for `USING INDEX`). */
  indexColumns(index: string): readonly string[] | undefined {
    return this.#indexColumns.get(index)
  }

  hasValidatedNotNullCheck(table: string, column: string): boolean {
    const key = tableKey(table)
    return (
      (this.#tables.get(key)?.notNullChecks.has(column) ?? false) ||
      (this.database?.get(key)?.notNullChecks.has(column) ?? false)
    )
  }

  /** Records what a statement changed. */
  apply(node: Node): void {
    const kind = nodeKind(node)
    if (kind === 'CreateStmt') this.#create(nodeOf(node, kind)!)
    else if (kind === 'AlterTableStmt') this.#alter(nodeOf(node, kind)!)
    else if (kind === 'RenameStmt') this.#rename(nodeOf(node, kind)!)
    else if (kind === 'DropStmt') this.#drop(nodeOf(node, kind)!)
    else if (kind === 'IndexStmt') {
      const index = nodeOf<{ idxname?: string; indexParams?: Node[] }>(node, kind)!
      const columns = (index.indexParams ?? []).map(
        (param) => nodeOf<{ name?: string }>(param, 'IndexElem')?.name,
      )
      if (index.idxname && columns.every((column) => column !== undefined))
        this.#indexColumns.set(index.idxname, columns as string[])
    } else if (kind === 'CreateFunctionStmt') {
      const names = nodeOf<{ funcname?: Node[] }>(node, kind)?.funcname
      this.#newFunctions.add(tableKey(objectNames([{ List: { items: names ?? [] } } as Node])[0]!))
    } else if (kind === 'CreateTableAsStmt') {
      const into = nodeOf<{ into?: { rel?: never } }>(node, kind)?.into
      if (into?.rel) this.#newTables.add(tableKey(relationName(into.rel)))
    }
  }

  #table(name: string): ModelTable {
    const key = tableKey(name)
    let table = this.#tables.get(key)
    if (table === undefined) {
      table = {
        columns: new Map(this.database?.get(key)?.columns ?? []),
        notNullChecks: new Set(),
        madeNotNull: new Set(),
      }
      this.#tables.set(key, table)
    }
    return table
  }

  #create(statement: {
    relation?: never
    tableElts?: Node[]
    partspec?: unknown
    partbound?: unknown
    inhRelations?: Node[]
  }): void {
    const name = relationName(statement.relation)
    const key = tableKey(name)
    this.#tables.set(key, { columns: new Map(), notNullChecks: new Set(), madeNotNull: new Set() })
    this.#newTables.add(key)
    this.#partitions.set(key, statement.partspec === undefined ? null : [])
    if (statement.partbound !== undefined) {
      const parent = nodeOf<RangeVar>(statement.inhRelations?.[0], 'RangeVar')
      if (parent !== undefined) this.#partitionList(relationName(parent as never)).push(name)
    }
    const table = this.#table(name)
    for (const element of statement.tableElts ?? []) {
      const column = nodeOf<ColumnDef>(element, 'ColumnDef')
      if (column?.colname) table.columns.set(column.colname, columnFacts(column))
    }
  }

  #alter(statement: { relation?: never; cmds?: Node[]; objtype?: string }): void {
    if (statement.objtype === 'OBJECT_INDEX') return
    const name = relationName(statement.relation)
    const table = this.#table(name)
    for (const command of statement.cmds ?? []) {
      const cmd = nodeOf<{ subtype?: string; name?: string; def?: Node }>(command, 'AlterTableCmd')
      if (cmd === undefined) continue
      const column = nodeOf<ColumnDef>(cmd.def, 'ColumnDef')
      if (cmd.subtype === 'AT_AddColumn' && column?.colname)
        table.columns.set(column.colname, columnFacts(column))
      else if (cmd.subtype === 'AT_DropColumn' && cmd.name) table.columns.delete(cmd.name)
      else if (cmd.subtype === 'AT_AlterColumnType' && cmd.name && column) {
        const before = table.columns.get(cmd.name)
        table.columns.set(cmd.name, { type: typeInfo(column.typeName), notNull: before?.notNull ?? false })
      } else if (cmd.subtype === 'AT_SetNotNull' && cmd.name) {
        const before = table.columns.get(cmd.name)
        if (before) table.columns.set(cmd.name, { ...before, notNull: true })
        else table.madeNotNull.add(cmd.name)
      } else if (cmd.subtype === 'AT_AddConstraint') {
        this.#addConstraint(name, table, nodeOf<Constraint>(cmd.def, 'Constraint'))
      } else if (cmd.subtype === 'AT_AttachPartition' || cmd.subtype === 'AT_DetachPartition') {
        const partition = relationName(nodeOf<{ name?: never }>(cmd.def, 'PartitionCmd')?.name)
        const list = this.#partitionList(name)
        const at = list.indexOf(partition)
        if (cmd.subtype === 'AT_AttachPartition' && at === -1) list.push(partition)
        if (cmd.subtype === 'AT_DetachPartition' && at !== -1) list.splice(at, 1)
      } else if (cmd.subtype === 'AT_ValidateConstraint' && cmd.name) {
        const check = this.#pendingChecks.get(cmd.name)
        if (check) this.#table(check.table).notNullChecks.add(check.column)
        const foreignKey = this.#pendingForeignKeys.get(`${tableKey(name)}\u0000${cmd.name}`)
        if (foreignKey !== undefined) this.#addConstraintKey(name, foreignKey)
      }
    }
  }

  /**
   * True when the analysed SQL has added and validated a foreign key of `table` on
   * `columns` to `referenced`: a partitioned table's key added afterwards adopts it
   * instead of checking the partition's rows.
   */
  hasValidatedForeignKey(table: string, referenced: string, columns: readonly string[]): boolean {
    return this.#constraints.get(tableKey(table))?.has(foreignKeyTarget(referenced, columns)) === true
  }

  #addConstraintKey(table: string, target: string): void {
    const key = tableKey(table)
    const keys = this.#constraints.get(key) ?? new Set<string>()
    this.#constraints.set(key, keys.add(target))
  }

  /**
   * True when the analysed SQL has added a UNIQUE (or PRIMARY KEY) constraint on exactly
   * `columns` to `table`: a partitioned table's constraint added afterwards adopts it
   * instead of building the partition's index.
   */
  hasUniqueKey(table: string, primary: boolean, columns: readonly string[]): boolean {
    return this.#constraints.get(tableKey(table))?.has(uniqueTarget(primary, columns)) === true
  }

  #addConstraint(tableName: string, table: ModelTable, constraint: Constraint | undefined): void {
    if (constraint?.contype === 'CONSTR_UNIQUE' || constraint?.contype === 'CONSTR_PRIMARY') {
      const columns = constraint.indexname
        ? this.#indexColumns.get(constraint.indexname)
        : nameList(constraint.keys)
      if (columns === undefined || columns.length === 0) return
      this.#addConstraintKey(tableName, uniqueTarget(constraint.contype === 'CONSTR_PRIMARY', columns))
      return
    }
    if (constraint?.contype === 'CONSTR_FOREIGN') {
      const target = foreignKeyTarget(relationName(constraint.pktable), nameList(constraint.fk_attrs))
      if (!constraint.skip_validation) this.#addConstraintKey(tableName, target)
      else if (constraint.conname)
        this.#pendingForeignKeys.set(`${tableKey(tableName)}\u0000${constraint.conname}`, target)
      return
    }
    if (constraint?.contype !== 'CONSTR_CHECK') return
    const test = nodeOf<{ nulltesttype?: string; arg?: Node }>(constraint.raw_expr, 'NullTest')
    const field = nodeOf<{ fields?: Node[] }>(test?.arg, 'ColumnRef')?.fields?.at(-1)
    const column = nodeOf<{ sval?: string }>(field, 'String')?.sval
    if (test?.nulltesttype !== 'IS_NOT_NULL' || column === undefined) return
    if (constraint.skip_validation) {
      if (constraint.conname) this.#pendingChecks.set(constraint.conname, { table: tableName, column })
    } else table.notNullChecks.add(column)
  }

  #rename(statement: { renameType?: string; relation?: never; subname?: string; newname?: string }): void {
    if (statement.relation === undefined || statement.newname === undefined) return
    const name = relationName(statement.relation)
    if (statement.renameType === 'OBJECT_TABLE') {
      const key = tableKey(name)
      const table = this.#table(name)
      this.#tables.delete(key)
      const schema = name.includes('.') && !name.startsWith('public.') ? `${name.split('.')[0]}.` : ''
      const newKey = tableKey(`${schema}${statement.newname}`)
      this.#tables.set(newKey, table)
      if (this.#newTables.delete(key)) this.#newTables.add(newKey)
      const partitions = this.partitionsOf(name)
      if (partitions !== undefined) this.#partitions.set(newKey, partitions === null ? null : [...partitions])
      this.#partitions.delete(key)
    } else if (statement.renameType === 'OBJECT_COLUMN' && statement.subname) {
      const table = this.#table(name)
      const column = table.columns.get(statement.subname)
      table.columns.delete(statement.subname)
      if (column) table.columns.set(statement.newname, column)
    }
  }

  #drop(statement: { removeType?: string; objects?: Node[] }): void {
    if (statement.removeType !== 'OBJECT_TABLE') return
    for (const object of statement.objects ?? []) {
      const key = tableKey(objectNames([object])[0]!)
      this.#tables.delete(key)
      this.#newTables.delete(key)
      this.#partitions.delete(key)
    }
  }
}

function columnFacts(column: ColumnDef): ColumnFacts {
  const notNull = (column.constraints ?? []).some((constraint) => {
    const type = nodeOf<Constraint>(constraint, 'Constraint')?.contype
    return type === 'CONSTR_NOTNULL' || type === 'CONSTR_PRIMARY'
  })
  return { type: typeInfo(column.typeName), notNull }
}

/** A foreign key's referenced table and its own columns, as one key. */
function foreignKeyTarget(referenced: string, columns: readonly string[]): string {
  return `foreign ${tableKey(referenced)}(${columns.join(',')})`
}

/** A UNIQUE or PRIMARY KEY constraint's kind and columns, as one key. */
function uniqueTarget(primary: boolean, columns: readonly string[]): string {
  return `${primary ? 'primary' : 'unique'}(${columns.join(',')})`
}
