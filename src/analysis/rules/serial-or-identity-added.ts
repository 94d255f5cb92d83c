import { SERIAL_TYPES } from '../column-types.js'
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
        return [
          {
            statement,
            message: `adds ${identity ? 'identity' : type} column ${cmd.table}.${column.colname}: a value is generated for every existing row under ACCESS EXCLUSIVE`,
            fix: [
              `CREATE SEQUENCE ${cmd.table}_${column.colname}_seq;`,
              `ALTER TABLE ${cmd.table} ADD COLUMN ${column.colname} bigint;  -- metadata only`,
              `ALTER TABLE ${cmd.table} ALTER COLUMN ${column.colname} SET DEFAULT nextval('${cmd.table}_${column.colname}_seq');`,
              `TS: await op.backfill({ table: '${cmd.table}', set: { ${column.colname}: op.sql("nextval('${cmd.table}_${column.colname}_seq')") }, where: '${column.colname} IS NULL' })`,
            ].join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
