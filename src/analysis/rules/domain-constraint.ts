import { objectNames } from '../ast.js'
import { sqlIdent, sqlTableName, tableBaseName } from './fix-names.js'
import { defineRule, perStatement, statementOf } from './rule.js'

export default defineRule({
  id: 'domain-constraint',
  level: 'warning',
  summary: 'a domain CHECK is checked on every column of the domain; adding one scans all of them',
  examples: {
    flagged: [
      'CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);',
      'ALTER DOMAIN positive_int ADD CONSTRAINT ck_pos CHECK (VALUE > 0);',
    ],
    accepted: [
      'ALTER DOMAIN positive_int ADD CONSTRAINT ck_pos CHECK (VALUE > 0) NOT VALID;',
      'CREATE DOMAIN email AS text;',
    ],
  },
  check: perStatement(
    (statement) => {
      const create = statementOf(statement, 'CreateDomainStmt')
      if (create && (create.constraints ?? []).some((c: any) => c.Constraint?.contype === 'CONSTR_CHECK')) {
        return {
          statement,
          message:
            'creates a domain with a CHECK: changing that CHECK later scans every column of the domain under locks',
          fix: 'put the CHECK on the table columns instead (they can be added NOT VALID and validated online)',
        }
      }
      const alter = statementOf(statement, 'AlterDomainStmt')
      if (alter?.subtype === 'C' && !alter.def?.Constraint?.skip_validation) {
        const domain = objectNames([{ List: { items: alter.typeName } }] as never)[0] ?? 'domain'
        // Unnamed, PostgreSQL calls it <domain>_check.
        const constraint: string =
          alter.def?.Constraint?.conname ?? `${tableBaseName(domain)}_check`.slice(0, 63)
        return {
          statement,
          message:
            'adds a domain constraint that checks every column using the domain, under SHARE locks on their tables: writes wait',
          fix: `${statement.sql.replace(/;?\s*$/, '')} NOT VALID;\nALTER DOMAIN ${sqlTableName(domain)} VALIDATE CONSTRAINT ${sqlIdent(constraint)};  -- later, in its own transaction`,
        }
      }
      return undefined
    },
    ['AlterDomainStmt', 'CreateDomainStmt'],
  ),
})
