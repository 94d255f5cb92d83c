import type { Node, RangeVar } from 'libpg-query'
import { alterTableEffects } from './alter-table-effects.js'
import { findNodes, hasOption, nameList, nodeKind, nodeOf, objectNames, relationName } from './ast.js'
import { EffectsBuilder, type StatementEffects } from './effects.js'
import { lockModeFromNumber } from './lock-modes.js'
import type { SchemaModel } from './schema-model.js'
import { isWholeTable } from './whole-table.js'

/** What the lock model needs besides the statement. */
export interface EffectsEnvironment {
  readonly model: SchemaModel
  /** Server major version (16 for 16.4); behaviour changed across versions. */
  readonly serverVersion: number
}

/** A strata backfill rendered offline: a DO block that pages by key and commits each batch. */
export const BACKFILL_MARKER = 'strata_backfill'

/**
 * The dollar-quote tag of a DO block a recipe renders offline to stop the script when a
 * precondition fails (`changeColumnType`'s check for what is bound to the column): it
 * reads the catalog and raises, and changes nothing.
 */
export const GUARD_MARKER = '$strata_guard$'

/**
 * The lock model: for one parsed statement, the table locks PostgreSQL takes (from
 * the "Explicit Locking" and per-command pages of the manual), whether it rewrites or
 * scans the table or builds an index, and what it changes in the guide's terms.
 */
export function statementEffects(node: Node, sql: string, env: EffectsEnvironment): StatementEffects {
  const effects = new EffectsBuilder((table) => env.model.isExisting(table))
  const kind = nodeKind(node)
  const body = nodeOf<Record<string, any>>(node, kind) ?? {}
  const handler = HANDLERS[kind]
  if (handler) handler(body, effects, env, sql)
  else effects.change('backward compatible', `runs ${kind.replace(/Stmt$/, '')}`)
  // A statement on tables this migration created touches nothing any release uses:
  // finishing a new table's definition (pg_dump adds defaults, keys and triggers after
  // CREATE TABLE) adds, whatever the same statement would do to a table in use.
  if (effects.touchesOnlyNewTables()) effects.asAdditive(0)
  return effects.build()
}

type Handler = (
  body: Record<string, any>,
  effects: EffectsBuilder,
  env: EffectsEnvironment,
  sql: string,
) => void

const name = (relation: RangeVar | undefined) => relationName(relation)

function readsFrom(root: unknown, effects: EffectsBuilder, except?: string): void {
  for (const relation of findNodes<RangeVar>(root, 'RangeVar')) {
    const table = relationName(relation)
    if (table !== except) effects.lock(table, 'ACCESS SHARE')
  }
}

const HANDLERS: Record<string, Handler> = {
  CreateStmt(body, effects) {
    const table = name(body.relation)
    for (const constraint of findNodes<{ contype?: string; pktable?: RangeVar }>(
      body.tableElts,
      'Constraint',
    )) {
      if (constraint.contype === 'CONSTR_FOREIGN' && constraint.pktable) {
        effects.lock(name(constraint.pktable), 'SHARE ROW EXCLUSIVE')
      }
    }
    if (body.partbound) {
      for (const parent of body.inhRelations ?? [])
        effects.lock(name(nodeOf(parent, 'RangeVar')), 'ACCESS EXCLUSIVE')
      effects.change('additive', `creates partition ${table}`)
    } else effects.change('additive', `creates table ${table}`)
  },
  CreateTableAsStmt(body, effects) {
    readsFrom(body.query, effects)
    const kindName = body.objtype === 'OBJECT_MATVIEW' ? 'materialized view' : 'table'
    effects.change('additive', `creates ${kindName} ${name(body.into?.rel)} from a query`)
  },
  IndexStmt(body, effects, env) {
    const table = name(body.relation)
    const partitions = env.model.partitionsOf(table)
    // ON ONLY: only the partitioned table's own index, invalid and without storage until
    // an index of each partition is attached. Written only for partitioned tables (on a
    // plain one ONLY changes nothing), so taken as one unless the database says otherwise.
    if (body.relation?.inh !== true && partitions !== null) {
      effects.lock(table, 'SHARE')
      effects.change(
        'additive',
        `creates index ${body.idxname ?? '(unnamed)'} on only the partitioned table ${table}: no build, invalid until an index of each partition is attached`,
      )
      return
    }
    effects.lock(table, body.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE')
    if (partitions) {
      effects.partitions = partitions
      for (const partition of partitions)
        effects.lock(partition, body.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE')
    }
    effects.buildIndex(table, `${body.unique ? 'unique ' : ''}index ${body.idxname ?? '(unnamed)'}`)
    effects.change(
      'additive',
      body.idxname
        ? `creates ${body.unique ? 'unique ' : ''}index ${body.idxname} on ${table}`
        : `creates ${body.unique ? 'a unique index' : 'an index'} on ${table}`,
    )
  },
  DropStmt(body, effects, env) {
    const names = objectNames(body.objects)
    switch (body.removeType) {
      case 'OBJECT_TABLE':
        for (const table of names) {
          effects.lock(table, 'ACCESS EXCLUSIVE')
          effects.destroy(`table ${table}`, { table })
          effects.change('breaking', `drops table ${table} and its data`)
        }
        return
      case 'OBJECT_INDEX':
        for (const index of names) {
          // The table is not named in the statement; the lock lands on it all the same.
          effects.lock(
            `(table of index ${index})`,
            body.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE',
          )
          effects.change('backward compatible', `drops index ${index}`)
        }
        return
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW':
      case 'OBJECT_SCHEMA':
      case 'OBJECT_FUNCTION':
      case 'OBJECT_TYPE':
        for (const object of names) {
          // A helper the same migration created (a trigger function used while it runs).
          if (body.removeType === 'OBJECT_FUNCTION' && env.model.isNewFunction(object))
            effects.change(
              'backward compatible',
              `drops function ${object}, created earlier in this migration`,
            )
          else effects.change('breaking', `drops ${describeObject(body.removeType)} ${object}`)
        }
        if (body.removeType === 'OBJECT_SCHEMA') {
          // Without CASCADE, PostgreSQL refuses to drop a schema that still holds anything.
          const cascade = body.behavior === 'DROP_CASCADE'
          effects.destroys.push(...names.map((n) => `schema ${n}${cascade ? ' and every table in it' : ''}`))
          if (cascade) effects.lostSchemas.push(...names)
        }
        return
      case 'OBJECT_TRIGGER':
        for (const trigger of names) {
          const parts = trigger.split('.')
          effects.lock(parts.slice(0, -1).join('.'), 'ACCESS EXCLUSIVE')
          effects.change('backward compatible', `drops trigger ${parts.at(-1)}`)
        }
        return
      default:
        for (const object of names) {
          effects.change('backward compatible', `drops ${describeObject(body.removeType)} ${object}`)
        }
    }
  },
  AlterTableStmt(body, effects, env) {
    alterTableEffects(body, effects, env)
  },
  RenameStmt(body, effects) {
    const target = body.relation ? name(body.relation) : (body.subname ?? objectNames([body.object])[0])
    switch (body.renameType) {
      case 'OBJECT_COLUMN':
        effects.lock(target, 'ACCESS EXCLUSIVE')
        effects.change('breaking', `renames column ${target}.${body.subname} to ${body.newname}`)
        return
      case 'OBJECT_TABLE':
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW':
        effects.lock(target, 'ACCESS EXCLUSIVE')
        effects.change('breaking', `renames ${describeObject(body.renameType)} ${target} to ${body.newname}`)
        return
      case 'OBJECT_SCHEMA':
        effects.change('breaking', `renames schema ${body.subname} to ${body.newname}`)
        return
      case 'OBJECT_INDEX':
        effects.lock(target, 'SHARE UPDATE EXCLUSIVE')
        effects.change('backward compatible', `renames index ${target} to ${body.newname}`)
        return
      case 'OBJECT_TABCONSTRAINT':
        effects.lock(target, 'ACCESS EXCLUSIVE')
        effects.change('backward compatible', `renames constraint ${body.subname} to ${body.newname}`)
        return
      default:
        effects.change(
          'breaking',
          `renames ${describeObject(body.renameType)} ${target ?? ''} to ${body.newname}`,
        )
    }
  },
  AlterObjectSchemaStmt(body, effects) {
    const target = body.relation ? name(body.relation) : objectNames([body.object])[0]!
    if (body.relation) effects.lock(target, 'ACCESS EXCLUSIVE')
    effects.change(
      'breaking',
      `moves ${describeObject(body.objectType)} ${target} to schema ${body.newschema}`,
    )
  },
  TruncateStmt(body, effects) {
    for (const relation of body.relations ?? []) {
      const table = name(nodeOf(relation, 'RangeVar'))
      effects.lock(table, 'ACCESS EXCLUSIVE')
      effects.destroy(
        `every row of ${table}${body.behavior === 'DROP_CASCADE' ? ' and of tables referencing it' : ''}`,
        { table },
      )
      effects.change(
        'breaking',
        `empties table ${table}${body.behavior === 'DROP_CASCADE' ? ' (CASCADE)' : ''}`,
      )
    }
  },
  VacuumStmt(body, effects) {
    const full = hasOption(body.options, 'full')
    for (const relation of body.rels ?? []) {
      const table = name(nodeOf<{ relation?: RangeVar }>(relation, 'VacuumRelation')?.relation)
      if (body.is_vacuumcmd && full) {
        effects.lock(table, 'ACCESS EXCLUSIVE')
        effects.rewrite(table, 'VACUUM FULL')
      } else effects.lock(table, 'SHARE UPDATE EXCLUSIVE')
    }
    effects.change('backward compatible', body.is_vacuumcmd ? `vacuums${full ? ' (FULL)' : ''}` : 'analyzes')
  },
  ClusterStmt(body, effects) {
    const table = name(body.relation)
    effects.lock(table, 'ACCESS EXCLUSIVE')
    effects.rewrite(table, 'CLUSTER')
    effects.change('backward compatible', `reorders ${table} (CLUSTER)`)
  },
  ReindexStmt(body, effects) {
    const target = name(body.relation)
    const concurrently = hasOption(body.params, 'concurrently')
    effects.lock(target, concurrently ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE')
    effects.buildIndex(target, 'REINDEX')
    effects.change('backward compatible', `rebuilds indexes of ${target}`)
  },
  UpdateStmt(body, effects) {
    rowWrite(body, 'UPDATE', effects)
  },
  DeleteStmt(body, effects) {
    rowWrite(body, 'DELETE', effects)
  },
  MergeStmt(body, effects) {
    rowWrite(body, 'MERGE', effects)
  },
  InsertStmt(body, effects) {
    const table = name(body.relation)
    effects.lock(table, 'ROW EXCLUSIVE')
    readsFrom(body.selectStmt, effects, table)
    const fromQuery = findNodes(body.selectStmt, 'RangeVar').length > 0
    if (fromQuery)
      effects.rowWrites.push({
        table,
        verb: 'INSERT ... SELECT',
        whole: false,
        existing: effects.existing(table),
      })
    effects.change(
      effects.existing(table) ? 'data transformation' : 'additive',
      `inserts rows into ${table}${fromQuery ? ' from a query' : ''}`,
    )
  },
  SelectStmt(body, effects) {
    readsFrom(body, effects)
    effects.change('additive', 'runs a query')
  },
  // COPY FROM loads rows as INSERT does (pg_dump's plain scripts are made of it); COPY TO
  // reads the table, or the query it is given.
  CopyStmt(body, effects) {
    if (body.relation === undefined) {
      readsFrom(body.query, effects)
      effects.change('additive', 'copies a query out')
      return
    }
    const table = name(body.relation)
    if (!body.is_from) {
      effects.lock(table, 'ACCESS SHARE')
      effects.change('additive', `copies ${table} out`)
      return
    }
    effects.lock(table, 'ROW EXCLUSIVE')
    effects.change(
      effects.existing(table) ? 'data transformation' : 'additive',
      `loads rows into ${table} (COPY)`,
    )
  },
  LockStmt(body, effects) {
    for (const relation of body.relations ?? []) {
      effects.lock(name(nodeOf(relation, 'RangeVar')), lockModeFromNumber(body.mode ?? 8))
    }
    effects.change('additive', 'takes an explicit lock')
  },
  RefreshMatViewStmt(body, effects) {
    const view = name(body.relation)
    effects.lock(view, body.concurrent ? 'EXCLUSIVE' : 'ACCESS EXCLUSIVE')
    effects.rewrite(view, 'REFRESH MATERIALIZED VIEW')
    effects.change('backward compatible', `refreshes materialized view ${view}`)
  },
  CreateTrigStmt(body, effects) {
    effects.lock(name(body.relation), 'SHARE ROW EXCLUSIVE')
    effects.change('backward compatible', `creates trigger ${body.trigname} on ${name(body.relation)}`)
  },
  CreatePolicyStmt(body, effects) {
    effects.lock(name(body.table), 'ACCESS EXCLUSIVE')
    effects.change('backward compatible', `creates policy ${body.policy_name}`)
  },
  RuleStmt(body, effects) {
    effects.lock(name(body.relation), 'ACCESS EXCLUSIVE')
    effects.change('backward compatible', `creates rule ${body.rulename}`)
  },
  ViewStmt(body, effects) {
    readsFrom(body.query, effects)
    effects.change(
      body.replace ? 'backward compatible' : 'additive',
      `${body.replace ? 'replaces' : 'creates'} view ${name(body.view)}`,
    )
  },
  // New objects no release uses yet: schemas, extensions, types, sequences, functions.
  CreateSchemaStmt(body, effects) {
    effects.change('additive', `creates schema ${body.schemaname ?? nameOfRole(body.authrole)}`)
  },
  CreateExtensionStmt(body, effects) {
    effects.change('additive', `creates extension ${body.extname}`)
  },
  CreateEnumStmt(body, effects) {
    effects.change('additive', `creates type ${nameList(body.typeName).join('.')}`)
  },
  CompositeTypeStmt(body, effects) {
    effects.change('additive', `creates type ${name(body.typevar)}`)
  },
  CreateDomainStmt(body, effects) {
    effects.change('additive', `creates domain ${nameList(body.domainname).join('.')}`)
  },
  CreateSeqStmt(body, effects) {
    effects.change('additive', `creates sequence ${name(body.sequence)}`)
  },
  CreateFunctionStmt(body, effects) {
    const kind = body.is_procedure ? 'procedure' : 'function'
    const routine = nameList(body.funcname).join('.')
    // OR REPLACE changes what callers already run.
    if (body.replace) effects.change('backward compatible', `replaces ${kind} ${routine}`)
    else effects.change('additive', `creates ${kind} ${routine}`)
  },
  CreateStatsStmt(body, effects) {
    for (const relation of body.relations ?? [])
      effects.lock(name(nodeOf(relation, 'RangeVar')), 'SHARE UPDATE EXCLUSIVE')
    effects.change('additive', 'creates extended statistics')
  },
  CommentStmt(body, effects) {
    // COMMENT ON TABLE/COLUMN locks the table (SHARE UPDATE EXCLUSIVE), like other catalog changes to it.
    const names = objectNames([body.object])[0]?.split('.') ?? []
    if (body.objtype === 'OBJECT_TABLE') effects.lock(names.join('.'), 'SHARE UPDATE EXCLUSIVE')
    if (body.objtype === 'OBJECT_COLUMN') effects.lock(names.slice(0, -1).join('.'), 'SHARE UPDATE EXCLUSIVE')
    effects.change('additive', 'sets a comment')
  },
  AlterEnumStmt(body, effects) {
    const type = nameList(body.typeName).join('.')
    if (body.oldVal) effects.change('breaking', `renames value '${body.oldVal}' of enum ${type}`)
    else effects.change('additive', `adds value '${body.newVal}' to enum ${type}`)
  },
  AlterDomainStmt(body, effects) {
    const domain = nameList(body.typeName).join('.')
    if (body.subtype === 'C') {
      // Every column of the domain is checked, under SHARE locks on their tables.
      if (!nodeOf<{ skip_validation?: boolean }>(body.def, 'Constraint')?.skip_validation) {
        effects.lock(`(tables using domain ${domain})`, 'SHARE')
        effects.scan(`(tables using domain ${domain})`, `checks every value of domain ${domain}`)
      }
      effects.change('backward compatible', `adds a constraint to domain ${domain}`)
    } else effects.change('backward compatible', `alters domain ${domain}`)
  },
  // BEGIN, COMMIT and SET change nothing in the schema: no change of their own, so that
  // a migration's class is explained by what it does ("adds column users.x"), not by
  // its BEGIN. (The session state follows them for the lock model.)
  TransactionStmt() {},
  VariableSetStmt() {},
  DropdbStmt(body, effects) {
    effects.destroys.push(`database ${body.dbname}`)
    effects.change('breaking', `drops database ${body.dbname}`)
  },
  DoStmt(_body, effects, _env, sql) {
    if (sql.includes(GUARD_MARKER)) return
    if (sql.includes(BACKFILL_MARKER)) {
      effects.change('data transformation', 'backfills rows in committed batches (strata backfill)')
    } else {
      effects.unverifiable = 'a DO block runs procedural code that cannot be analysed statement by statement'
      effects.change('data transformation', 'runs a DO block')
    }
  },
}

// Statements that change no table a release uses, without a handler of their own.
for (const additive of [
  'GrantStmt',
  'GrantRoleStmt',
  'CreateRoleStmt',
  'AlterSeqStmt',
  'AlterOwnerStmt',
  'AlterFunctionStmt',
  'AlterDefaultPrivilegesStmt',
  'CreatedbStmt',
  'ExplainStmt',
  'CallStmt',
  'NotifyStmt',
]) {
  HANDLERS[additive] ??= (_body, effects) => {
    effects.change('additive', `runs ${additive.replace(/Stmt$/, '')}`)
  }
}

function rowWrite(body: Record<string, any>, verb: string, effects: EffectsBuilder): void {
  const table = name(body.relation)
  effects.lock(table, 'ROW EXCLUSIVE')
  const whole = verb !== 'MERGE' && isWholeTable(body.whereClause)
  effects.rowWrites.push({ table, verb, whole, existing: effects.existing(table) })
  const what = verb === 'DELETE' ? 'deletes' : 'updates'
  effects.change(
    'data transformation',
    `${what} ${whole ? 'every matching row of' : 'rows of'} ${table} in one statement`,
  )
  if (verb === 'DELETE') effects.destroy(`rows of ${table}`, { table })
}

function describeObject(objectType: string | undefined): string {
  return (objectType ?? 'OBJECT_UNKNOWN')
    .replace(/^OBJECT_/, '')
    .replace(/_/g, ' ')
    .toLowerCase()
}

/** The role of `CREATE SCHEMA AUTHORIZATION role` (the schema takes its name). */
function nameOfRole(role: { rolename?: string } | undefined): string {
  return role?.rolename ?? '?'
}
