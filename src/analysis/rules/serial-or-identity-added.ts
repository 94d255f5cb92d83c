import { SERIAL_TYPES } from '../column-types.js'
import { objectKey, sqlIdent, sqlTableName } from './fix-names.js'
import { alterCommands, defineRule, isExisting, perStatement } from './rule.js'

export default defineRule({
  id: 'serial-or-identity-added',
  level: 'error',
  summary:
    'adding a serial or identity column to an existing table fills every row: a rewrite under ACCESS EXCLUSIVE',
  examples: {
    flagged: [
      'ALTER TABLE events ADD COLUMN id bigserial;',
      'ALTER TABLE events ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;',
    ],
    accepted: [
      'CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);',
      'ALTER TABLE events ADD COLUMN seq bigint;',
    ],
  },
  check: perStatement(
    (statement) =>
      alterCommands(statement).flatMap((cmd) => {
        const column = cmd.def?.ColumnDef
        if (cmd.subtype !== 'AT_AddColumn' || !isExisting(statement, cmd.table)) return []
        const type = column?.typeName?.names?.at(-1)?.String?.sval ?? ''
        const identity = (column?.constraints ?? []).some(
          (c: any) => c.Constraint?.contype === 'CONSTR_IDENTITY',
        )
        if (!SERIAL_TYPES.has(type) && !identity) return []
        const table = sqlTableName(cmd.table)
        const name = sqlIdent(column.colname)
        // Named as PostgreSQL names a serial's sequence, in the table's schema.
        const sequence = sqlTableName(`${cmd.table}_${column.colname}_seq`)
        return [
          {
            statement,
            message: `adds ${identity ? 'identity' : type} column ${cmd.table}.${column.colname}: a value is generated for every existing row under ACCESS EXCLUSIVE`,
            fix: [
              `CREATE SEQUENCE ${sequence};`,
              `ALTER TABLE ${table} ADD COLUMN ${name} bigint;  -- metadata only`,
              `ALTER TABLE ${table} ALTER COLUMN ${name} SET DEFAULT nextval('${sequence}');`,
              `TS: await op.backfill({ table: '${cmd.table}', set: { ${objectKey(column.colname)}: op.sql("nextval('${sequence}')") }, where: '${name} IS NULL' })`,
            ].join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
