import type { Constraint } from 'libpg-query'
import { findNodes } from '../ast.js'
import { defineRule, perStatement } from './rule.js'

/**
 * The parser reads PostgreSQL 18's grammar; the server the migration is meant for may be
 * older (`check.serverVersion`, `--pg-version`, or the connected one), and refuses what
 * 18 added. Said here, with what that server takes instead, rather than at run time.
 */
const SINCE_18 = 18

export default defineRule({
  id: 'needs-newer-server',
  level: 'error',
  summary:
    "syntax the server version in use does not have yet (PostgreSQL 18's, checked against an older server)",
  examples: {
    flagged: [
      'ALTER TABLE users ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) VIRTUAL;',
      'ALTER TABLE users ADD CONSTRAINT users_email_not_null NOT NULL email NOT VALID;',
      'CREATE TABLE t (a int, CONSTRAINT t_a_not_null NOT NULL a);',
    ],
    accepted: [
      'ALTER TABLE users ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) STORED;',
      'CREATE TABLE t (a int NOT NULL);',
      {
        sql: 'ALTER TABLE users ADD CONSTRAINT users_email_not_null NOT NULL email NOT VALID;',
        serverVersion: 18,
      },
    ],
  },
  check: perStatement(
    (statement, context) => {
      if (context.serverVersion >= SINCE_18) return []
      const refused = (what: string, instead: string) => ({
        statement,
        message: `${what} needs PostgreSQL 18: PostgreSQL ${context.serverVersion} refuses it`,
        fix: `${instead}\nor, when the server is PostgreSQL 18, say so: check: { serverVersion: 18 } in strata.config.ts (--pg-version 18)`,
      })
      const hits = []
      for (const constraint of findNodes<Constraint>(statement.node, 'Constraint')) {
        if (
          constraint.contype === 'CONSTR_GENERATED' &&
          (constraint as { generated_kind?: string }).generated_kind === 'v'
        )
          hits.push(
            refused(
              'a VIRTUAL generated column (the default kind when neither VIRTUAL nor STORED is written)',
              'GENERATED ALWAYS AS (...) STORED  -- computed on write; added to an existing table it rewrites it (see stored-generated-column)',
            ),
          )
        // A column's own NOT NULL has no keys; a NOT NULL constraint of the table names its column.
        if (constraint.contype === 'CONSTR_NOTNULL' && (constraint.keys?.length ?? 0) > 0)
          hits.push(
            refused(
              `NOT NULL as a table constraint${constraint.skip_validation ? ' (NOT VALID)' : ''}`,
              'ALTER TABLE ... ALTER COLUMN ... SET NOT NULL, after a validated CHECK (col IS NOT NULL) NOT VALID so that it does not scan (see set-not-null-without-check)',
            ),
          )
      }
      return hits
    },
    ['AlterTableStmt', 'CreateStmt'],
  ),
})
