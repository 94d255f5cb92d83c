import { typeInfo } from '../ast.js'
import { displayType } from '../column-types.js'
import { sqlIdent, tsString, usingExpressionText } from './fix-names.js'
import { alterCommands, defineRule, isExisting, perStatement } from './rule.js'

export default defineRule({
  id: 'column-type-change',
  level: 'error',
  summary: 'ALTER COLUMN TYPE rewrites the table (or scans it) under ACCESS EXCLUSIVE, and breaks old code',
  examples: {
    flagged: [
      'ALTER TABLE users ALTER COLUMN age TYPE bigint;',
      'ALTER TABLE users ALTER COLUMN age TYPE integer USING age::integer;',
    ],
    accepted: [
      'CREATE TABLE t (name varchar(50)); ALTER TABLE t ALTER COLUMN name TYPE varchar(100);',
      'CREATE TABLE t (name varchar(50)); ALTER TABLE t ALTER COLUMN name TYPE text;',
    ],
  },
  check: perStatement(
    (statement) =>
      alterCommands(statement).flatMap((cmd) => {
        if (cmd.subtype !== 'AT_AlterColumnType' || !isExisting(statement, cmd.table)) return []
        const work = [...statement.effects.rewrites, ...statement.effects.scans].find(
          (w) => w.why.includes(`${cmd.table}.${cmd.name} `) || w.why.includes(`of ${cmd.name} against`),
        )
        if (work === undefined) return []
        const rewrite = statement.effects.rewrites.includes(work as never)
        const definition = cmd.def?.ColumnDef
        const type = definition?.typeName ? displayType(typeInfo(definition.typeName)) : 'new_type'
        // The statement's own USING expression, as written.
        const using = definition?.raw_default
          ? (usingExpressionText(statement.sql, cmd.name ?? '') ?? '<its USING expression>')
          : `${sqlIdent(cmd.name ?? 'column')}::${type}`
        return [
          {
            statement,
            message: rewrite
              ? `${work.why}: rewrites every row and index of ${cmd.table} under ACCESS EXCLUSIVE; reads and writes wait`
              : `${work.why} of ${cmd.table} under ACCESS EXCLUSIVE; reads and writes wait`,
            fix: [
              `TS: await op.changeColumnType('${cmd.table}', '${cmd.name}', '${type}', { using: ${tsString(using)} })`,
              '    (new column + sync trigger + batched backfill + short swap; plain indexes, views, default, comment and grants carried over;',
              '     downgrade: op.revertColumnType; a key, foreign key or policy on the column is refused: it would stay with the old values)',
            ].join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
