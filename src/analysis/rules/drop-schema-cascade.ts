import { objectNames } from '../ast.js'
import { sqlIdent } from './fix-names.js'
import { defineRule, perStatement, phaseDeclaration, statementOf } from './rule.js'

export default defineRule({
  id: 'drop-schema-cascade',
  level: 'error',
  summary: 'DROP SCHEMA ... CASCADE drops every table, view and function in the schema, with their data',
  examples: {
    flagged: ['DROP SCHEMA billing CASCADE;'],
    accepted: [
      'DROP SCHEMA billing;',
      { sql: 'DROP SCHEMA billing CASCADE;', runner: true, phase: 'contract' },
      'CREATE SCHEMA scratch; DROP SCHEMA scratch CASCADE;',
    ],
  },
  check: perStatement(
    (statement, context) => {
      const drop = statementOf(statement, 'DropStmt')
      if (drop?.removeType !== 'OBJECT_SCHEMA' || drop.behavior !== 'DROP_CASCADE') return undefined
      if (context.migration.phase === 'contract') return undefined
      // A schema the migration made a few lines up holds nothing anyone relies on yet.
      const created = new Set(
        context.statements
          .slice(0, context.statements.indexOf(statement))
          .map((earlier) => statementOf<{ schemaname?: string }>(earlier, 'CreateSchemaStmt')?.schemaname),
      )
      const schemas = objectNames(drop.objects).filter((schema) => !created.has(schema))
      if (schemas.length === 0) return undefined
      return {
        statement,
        message: `drops schema ${schemas.join(', ')} with everything in it: every table and its rows, views, functions and types, including what the migrations do not know about`,
        fix: [
          `list what would go first: SELECT relname, relkind FROM pg_class WHERE relnamespace = '${sqlIdent(schemas[0]!).replace(/'/g, "''")}'::regnamespace`,
          `keep it until nobody needs it: ALTER SCHEMA ${sqlIdent(schemas[0]!)} RENAME TO ${sqlIdent(`${schemas[0]!}_old`)}`,
          `drop it later in a migration with phase contract (${phaseDeclaration(context.migration, 'contract')}): Strata backs up the tables holding data first`,
        ].join('\n'),
      }
    },
    ['DropStmt'],
  ),
})
