import type { ColumnDef, Constraint, Node, RangeVar } from 'libpg-query'
import { nameList, nodeOf, relationName, typeInfo } from './ast.js'
import { defaultOf, displayType, expressionVolatility, SERIAL_TYPES, typeChangeCost } from './column-types.js'
import type { EffectsBuilder } from './effects.js'
import type { LockMode } from './lock-modes.js'
import { primaryKeyDropText, primaryKeyName } from './primary-keys.js'
import type { EffectsEnvironment } from './statement-effects.js'

interface AlterCommand {
  readonly subtype?: string
  readonly name?: string
  readonly def?: Node
  readonly behavior?: string
  readonly missing_ok?: boolean
}

/** Subcommands that take less than ACCESS EXCLUSIVE (ALTER TABLE reference page, "Notes"). */
const WEAKER_LOCKS: Record<string, LockMode> = {
  AT_SetStatistics: 'SHARE UPDATE EXCLUSIVE',
  AT_SetOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_ResetOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_SetRelOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_ResetRelOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_ClusterOn: 'SHARE UPDATE EXCLUSIVE',
  AT_DropCluster: 'SHARE UPDATE EXCLUSIVE',
  AT_ValidateConstraint: 'SHARE UPDATE EXCLUSIVE',
  AT_AttachPartition: 'SHARE UPDATE EXCLUSIVE',
  // Decided by the handler: ACCESS EXCLUSIVE unless CONCURRENTLY.
  AT_DetachPartition: 'SHARE UPDATE EXCLUSIVE',
  AT_EnableTrig: 'SHARE ROW EXCLUSIVE',
  AT_EnableAlwaysTrig: 'SHARE ROW EXCLUSIVE',
  AT_EnableReplicaTrig: 'SHARE ROW EXCLUSIVE',
  AT_DisableTrig: 'SHARE ROW EXCLUSIVE',
  AT_EnableTrigAll: 'SHARE ROW EXCLUSIVE',
  AT_DisableTrigAll: 'SHARE ROW EXCLUSIVE',
  AT_EnableTrigUser: 'SHARE ROW EXCLUSIVE',
  AT_DisableTrigUser: 'SHARE ROW EXCLUSIVE',
}

/**
 * Subcommands PostgreSQL carries out on each partition of a partitioned table too, under
 * the same lock (checked in pg_locks on PostgreSQL 16): the partitions hold the rows, so
 * the scans and rewrites are theirs. Not OWNER TO, triggers, or ATTACH/DETACH.
 */
const RECURSES_TO_PARTITIONS = new Set([
  'AT_AddColumn',
  'AT_ColumnDefault',
  'AT_DropNotNull',
  'AT_SetNotNull',
  'AT_SetStatistics',
  'AT_SetStorage',
  'AT_SetCompression',
  'AT_DropColumn',
  'AT_AddConstraint',
  'AT_DropConstraint',
  'AT_AlterColumnType',
  'AT_ValidateConstraint',
  'AT_AddIdentity',
  'AT_SetIdentity',
  'AT_DropIdentity',
  'AT_DropExpression',
])

/** ALTER TABLE: the strongest lock of its subcommands, and each subcommand's work. */
export function alterTableEffects(
  body: { relation?: RangeVar; cmds?: Node[]; objtype?: string },
  effects: EffectsBuilder,
  env: EffectsEnvironment,
): void {
  const table = relationName(body.relation)
  const attached = body.cmds?.length === 1 ? nodeOf<AlterCommand>(body.cmds[0], 'AlterTableCmd') : undefined
  if (body.objtype === 'OBJECT_INDEX' && attached?.subtype === 'AT_AttachPartition') {
    // A partition's index joins the partitioned table's: no build, a catalog change.
    // The new member's lock blocks the queries planned on its partition for that moment.
    const partitionIndex = relationName(nodeOf<{ name?: RangeVar }>(attached.def, 'PartitionCmd')?.name)
    effects.lock(table, 'SHARE UPDATE EXCLUSIVE').lock(partitionIndex, 'ACCESS EXCLUSIVE')
    effects.change('additive', `attaches index ${partitionIndex} to the partitioned index ${table}`)
    return
  }
  if (
    body.objtype === 'OBJECT_INDEX' ||
    body.objtype === 'OBJECT_SEQUENCE' ||
    body.objtype === 'OBJECT_VIEW'
  ) {
    effects.lock(table, 'ACCESS EXCLUSIVE')
    effects.change(
      'backward compatible',
      `alters ${body.objtype.replace('OBJECT_', '').toLowerCase()} ${table}`,
    )
    return
  }
  // ALTER TABLE ONLY reaches the partitioned table alone.
  const partitions = body.relation?.inh === false ? undefined : env.model.partitionsOf(table)
  for (const command of body.cmds ?? []) {
    const cmd = nodeOf<AlterCommand>(command, 'AlterTableCmd')
    if (cmd === undefined) continue
    const subtype = cmd.subtype ?? ''
    // A foreign key takes SHARE ROW EXCLUSIVE on both tables, not ACCESS EXCLUSIVE.
    const foreignKey =
      subtype === 'AT_AddConstraint' &&
      nodeOf<Constraint>(cmd.def, 'Constraint')?.contype === 'CONSTR_FOREIGN'
    const mode = foreignKey ? 'SHARE ROW EXCLUSIVE' : (WEAKER_LOCKS[subtype] ?? 'ACCESS EXCLUSIVE')
    effects.lock(table, mode)
    const rewritesBefore = effects.rewrites.length
    const scansBefore = effects.scans.length
    const buildsBefore = effects.indexBuilds.length
    const handler = COMMANDS[subtype]
    if (handler) handler(table, cmd, effects, env)
    else effects.change('backward compatible', `alters ${table} (${subtype.replace(/^AT_/, '')})`)
    if (partitions && RECURSES_TO_PARTITIONS.has(subtype)) {
      effects.partitions = partitions
      // A UNIQUE or PRIMARY KEY builds (or attaches) each partition's index under SHARE there.
      const contype = nodeOf<Constraint>(cmd.def, 'Constraint')?.contype
      const partitionMode =
        subtype === 'AT_AddConstraint' && (contype === 'CONSTR_UNIQUE' || contype === 'CONSTR_PRIMARY')
          ? 'SHARE'
          : mode
      for (const partition of partitions) effects.lock(partition, partitionMode)
      const onTable = (entries: { table: string; why: string }[], from: number) =>
        entries.slice(from).filter((entry) => entry.table === table)
      for (const { why } of onTable(effects.rewrites, rewritesBefore))
        for (const partition of partitions) effects.rewrite(partition, why)
      for (const { why } of onTable(effects.scans, scansBefore))
        for (const partition of partitions) effects.scan(partition, why)
      for (const { why } of onTable(effects.indexBuilds, buildsBefore))
        for (const partition of partitions) effects.buildIndex(partition, why)
    }
  }
}

/** PostgreSQL 18's `GENERATED ALWAYS AS (...) VIRTUAL` (its default when neither word is given). */
export function isVirtual(constraints: readonly Constraint[]): boolean {
  return constraints.some(
    (c) => c.contype === 'CONSTR_GENERATED' && (c as { generated_kind?: string }).generated_kind === 'v',
  )
}

type CommandHandler = (
  table: string,
  cmd: AlterCommand,
  effects: EffectsBuilder,
  env: EffectsEnvironment,
) => void

const COMMANDS: Record<string, CommandHandler> = {
  AT_AddColumn(table, cmd, effects, env) {
    const column = nodeOf<ColumnDef>(cmd.def, 'ColumnDef')!
    const target = `${table}.${column.colname}`
    const type = typeInfo(column.typeName)
    const constraints = (column.constraints ?? []).map((c) => nodeOf<Constraint>(c, 'Constraint')!)
    const has = (contype: string) => constraints.some((c) => c.contype === contype)
    const fallback = defaultOf(column.constraints)
    const notNull = has('CONSTR_NOTNULL') || has('CONSTR_PRIMARY')
    if (SERIAL_TYPES.has(type.name))
      effects.rewrite(table, `fills ${type.name} column ${column.colname} for every row`)
    else if (has('CONSTR_IDENTITY'))
      effects.rewrite(table, `fills identity column ${column.colname} for every row`)
    else if (has('CONSTR_GENERATED') && !isVirtual(constraints))
      effects.rewrite(table, `computes stored generated column ${column.colname} for every row`)
    else if (has('CONSTR_GENERATED'))
      effects.notes.push(
        `virtual generated column ${column.colname} is computed when read (PostgreSQL 18): nothing is written`,
      )
    else if (fallback !== undefined) {
      const { volatility, fn } = expressionVolatility(fallback)
      if (env.serverVersion < 11)
        effects.rewrite(
          table,
          `writes the default of ${column.colname} into every row (before PostgreSQL 11)`,
        )
      else if (volatility === 'volatile')
        effects.rewrite(table, `computes volatile default ${fn}() of ${column.colname} for every row`)
      else if (volatility === 'unknown')
        effects.notes.push(`default calls ${fn}(): a rewrite if it is volatile`)
      else effects.notes.push(`default ${column.colname} is stored once (metadata only since PostgreSQL 11)`)
    }
    for (const constraint of constraints) {
      if (constraint.contype === 'CONSTR_FOREIGN' && constraint.pktable) {
        effects.lock(relationName(constraint.pktable), 'SHARE ROW EXCLUSIVE')
        // The new key is checked row by row (even when NULL) while ACCESS EXCLUSIVE is held.
        if (!constraint.skip_validation)
          effects.scan(table, `checks every row for the foreign key on ${column.colname}`)
      }
      if (constraint.contype === 'CONSTR_UNIQUE' || constraint.contype === 'CONSTR_PRIMARY') {
        effects.buildIndex(
          table,
          `${constraint.contype === 'CONSTR_PRIMARY' ? 'primary key' : 'unique'} on ${column.colname}`,
        )
      }
      if (constraint.contype === 'CONSTR_CHECK' && fallback !== undefined)
        effects.scan(table, `checks ${column.colname}`)
    }
    const breaking =
      notNull && fallback === undefined && !has('CONSTR_IDENTITY') && !SERIAL_TYPES.has(type.name)
    effects.change(
      breaking ? 'breaking' : 'additive',
      breaking
        ? `adds required column ${target} without a default: inserts from the previous release fail`
        : `adds column ${target} (${displayType(type)}${notNull ? ', not null' : ''})`,
    )
  },
  AT_DropColumn(table, cmd, effects) {
    effects.destroy(`column ${table}.${cmd.name}`, { table, column: cmd.name })
    effects.change('breaking', `drops column ${table}.${cmd.name} that the previous release may still read`)
  },
  AT_AlterColumnType(table, cmd, effects, env) {
    const column = nodeOf<ColumnDef>(cmd.def, 'ColumnDef')!
    const to = typeInfo(column.typeName)
    const from = env.model.column(table, cmd.name ?? '')?.type
    const cost = typeChangeCost(from, to, column.raw_default !== undefined)
    const change = `${table}.${cmd.name} ${from ? `from ${displayType(from)} ` : ''}to ${displayType(to)}`
    if (cost === 'rewrite') {
      effects.rewrite(
        table,
        from ? `converts ${change}` : `converts ${change} (old type unknown: assumed a rewrite)`,
      )
      effects.change('data transformation', `changes the type of ${change}, rewriting the table`)
    } else if (cost === 'scan') {
      effects.scan(table, `checks every value of ${cmd.name} against the new limit`)
      effects.change('breaking', `narrows ${change}: longer values the previous release writes are refused`)
    } else {
      effects.notes.push(`type change ${change} is binary-compatible (metadata only)`)
      effects.change('backward compatible', `widens ${change}`)
    }
  },
  AT_SetNotNull(table, cmd, effects, env) {
    if (env.serverVersion >= 12 && env.model.hasValidatedNotNullCheck(table, cmd.name ?? '')) {
      effects.notes.push(`a validated CHECK (${cmd.name} IS NOT NULL) proves it: no scan (PostgreSQL 12+)`)
    } else effects.scan(table, `checks every row for NULL in ${cmd.name}`)
    effects.change('backward compatible', `makes ${table}.${cmd.name} NOT NULL`)
  },
  AT_DropNotNull(table, cmd, effects) {
    effects.change('backward compatible', `allows NULL in ${table}.${cmd.name}`)
  },
  AT_ColumnDefault(table, cmd, effects) {
    effects.change('backward compatible', `${cmd.def ? 'sets' : 'drops'} the default of ${table}.${cmd.name}`)
  },
  AT_AddConstraint(table, cmd, effects, env) {
    const constraint = nodeOf<Constraint>(cmd.def, 'Constraint')!
    addConstraintEffects(table, constraint, effects, env, adoptsPartitionConstraints(table, constraint, env))
  },
  AT_ValidateConstraint(table, cmd, effects) {
    effects.scan(table, `validates constraint ${cmd.name}`)
    effects.change('backward compatible', `validates constraint ${cmd.name} on ${table}`)
  },
  AT_DropConstraint(table, cmd, effects, env) {
    if (cmd.name === primaryKeyName(table, env.model.facts(table)))
      effects.change('breaking', primaryKeyDropText(table))
    else effects.change('backward compatible', `drops constraint ${cmd.name} on ${table}`)
  },
  AT_SetLogged(table, _cmd, effects) {
    effects.rewrite(table, 'SET LOGGED')
    effects.change('backward compatible', `makes ${table} logged`)
  },
  AT_SetUnLogged(table, _cmd, effects) {
    effects.rewrite(table, 'SET UNLOGGED')
    effects.change('backward compatible', `makes ${table} unlogged`)
  },
  AT_SetTableSpace(table, _cmd, effects) {
    effects.rewrite(table, 'SET TABLESPACE copies every page')
    effects.change('backward compatible', `moves ${table} to another tablespace`)
  },
  // PostgreSQL 15+: the rows are written again in the new access method's format.
  AT_SetAccessMethod(table, _cmd, effects) {
    effects.rewrite(table, 'SET ACCESS METHOD')
    effects.change('backward compatible', `changes the access method of ${table}`)
  },
  AT_AttachPartition(table, cmd, effects) {
    const partition = relationName(nodeOf<{ name?: RangeVar }>(cmd.def, 'PartitionCmd')?.name)
    effects.lock(partition, 'ACCESS EXCLUSIVE')
    effects.scan(partition, 'checks every row against the partition bound (unless a matching CHECK exists)')
    effects.change('backward compatible', `attaches partition ${partition} to ${table}`)
  },
  AT_DetachPartition(table, cmd, effects) {
    const partitionCmd = nodeOf<{ name?: RangeVar; concurrent?: boolean }>(cmd.def, 'PartitionCmd')
    const partition = relationName(partitionCmd?.name)
    const mode: LockMode = partitionCmd?.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE'
    effects.lock(table, mode).lock(partition, mode)
    effects.change('breaking', `detaches partition ${partition} from ${table}: its rows leave the table`)
  },
}

/**
 * A partitioned table's constraint whose partitions each got the same one earlier in the
 * migration, as op.addForeignKeySafely and check's own fixes arrange: PostgreSQL attaches
 * theirs instead of checking rows or building indexes (measured on PostgreSQL 16: a
 * validated foreign key; a UNIQUE or PRIMARY KEY constraint, not a bare unique index).
 */
function adoptsPartitionConstraints(table: string, constraint: Constraint, env: EffectsEnvironment): boolean {
  const partitions = env.model.partitionsOf(table)
  if (!partitions || partitions.length === 0) return false
  switch (constraint.contype) {
    case 'CONSTR_FOREIGN': {
      const referenced = relationName(constraint.pktable)
      const columns = nameList(constraint.fk_attrs)
      return partitions.every((partition) => env.model.hasValidatedForeignKey(partition, referenced, columns))
    }
    case 'CONSTR_UNIQUE':
    case 'CONSTR_PRIMARY': {
      const primary = constraint.contype === 'CONSTR_PRIMARY'
      const columns = nameList(constraint.keys)
      return (
        columns.length > 0 &&
        partitions.every((partition) => env.model.hasUniqueKey(partition, primary, columns))
      )
    }
    default:
      return false
  }
}

function addConstraintEffects(
  table: string,
  constraint: Constraint,
  effects: EffectsBuilder,
  env: EffectsEnvironment,
  adoptsPartitionKeys = false,
): void {
  const name = constraint.conname ?? '(unnamed)'
  const validated = !constraint.skip_validation
  switch (constraint.contype) {
    case 'CONSTR_NOTNULL': {
      // PostgreSQL 18: `ADD CONSTRAINT name NOT NULL column [NOT VALID]`, SET NOT NULL's twin.
      const columns = nameList(constraint.keys)
      for (const column of columns) {
        if (!validated)
          effects.notes.push(
            `NOT NULL ${name} on ${column} is NOT VALID: no scan now; VALIDATE CONSTRAINT checks the rows under SHARE UPDATE EXCLUSIVE`,
          )
        else if (env.model.hasValidatedNotNullCheck(table, column))
          effects.notes.push(`a validated CHECK (${column} IS NOT NULL) proves it: no scan`)
        else effects.scan(table, `checks every row for NULL in ${column}`)
      }
      effects.change(
        'backward compatible',
        `makes ${table}.${columns.join(', ')} NOT NULL (constraint ${name})`,
      )
      return
    }
    case 'CONSTR_FOREIGN': {
      const referenced = relationName(constraint.pktable)
      // Both tables: SHARE ROW EXCLUSIVE, not ACCESS EXCLUSIVE (ALTER TABLE notes).
      effects.lock(table, 'SHARE ROW EXCLUSIVE').lock(referenced, 'SHARE ROW EXCLUSIVE')
      if (adoptsPartitionKeys) {
        effects.adoptedConstraints.push(constraint)
        // Measured on PostgreSQL 16: the partitions' own triggers on the referenced table
        // are dropped, which takes ACCESS EXCLUSIVE there for that moment.
        effects.lock(referenced, 'ACCESS EXCLUSIVE')
        effects.notes.push(
          `foreign key ${name} adopts the validated keys of ${table}'s partitions: no row is checked`,
        )
      } else if (validated)
        effects.scan(table, `checks every row against ${referenced} for foreign key ${name}`)
      effects.change('backward compatible', `adds foreign key ${name} from ${table} to ${referenced}`)
      return
    }
    case 'CONSTR_CHECK':
      if (validated) effects.scan(table, `checks every row for constraint ${name}`)
      effects.change('backward compatible', `adds check constraint ${name} on ${table}`)
      return
    case 'CONSTR_UNIQUE':
    case 'CONSTR_PRIMARY': {
      const what = constraint.contype === 'CONSTR_PRIMARY' ? 'primary key' : 'unique constraint'
      if (constraint.indexname)
        effects.notes.push(`${what} ${name} uses the existing index ${constraint.indexname}`)
      else if (adoptsPartitionKeys) {
        effects.adoptedConstraints.push(constraint)
        effects.notes.push(
          `${what} ${name} adopts the same constraint of each of ${table}'s partitions: no index is built`,
        )
      } else effects.buildIndex(table, `${what} ${name}`)
      if (constraint.contype === 'CONSTR_PRIMARY') {
        // PostgreSQL sets NOT NULL on the key's columns, scanning unless they are already.
        const columns = constraint.indexname
          ? env.model.indexColumns(constraint.indexname)
          : nameList(constraint.keys)
        if (
          columns !== undefined &&
          columns.length > 0 &&
          columns.every((column) => env.model.isNotNull(table, column))
        )
          effects.notes.push(`the key's columns are NOT NULL already: no scan`)
        else effects.scan(table, 'checks the key columns for NULL')
      }
      effects.change('backward compatible', `adds ${what} ${name} on ${table}`)
      return
    }
    case 'CONSTR_EXCLUSION':
      effects.buildIndex(table, `exclusion constraint ${name}`)
      effects.change('backward compatible', `adds exclusion constraint ${name} on ${table}`)
      return
    default:
      effects.change('backward compatible', `adds constraint ${name} on ${table}`)
  }
}
