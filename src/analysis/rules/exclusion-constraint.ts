import { alterCommands, defineRule, isExisting, perStatement } from './rule.js'

export default defineRule({
  id: 'exclusion-constraint',
  level: 'error',
  summary: 'an exclusion constraint builds its index under ACCESS EXCLUSIVE and cannot be added NOT VALID',
  examples: {
    flagged: [
      'ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);',
    ],
    accepted: [
      'CREATE TABLE bookings (room int, during tstzrange, EXCLUDE USING gist (room WITH =, during WITH &&));',
    ],
  },
  check: perStatement(
    (statement) =>
      alterCommands(statement).flatMap((cmd) => {
        if (cmd.subtype !== 'AT_AddConstraint' || cmd.def?.Constraint?.contype !== 'CONSTR_EXCLUSION')
          return []
        if (!isExisting(statement, cmd.table)) return []
        return [
          {
            statement,
            message: `adds exclusion constraint ${cmd.def.Constraint.conname ?? ''} on ${cmd.table}: its index is built under ACCESS EXCLUSIVE; reads and writes wait for the whole build`,
            fix: 'there is no online form: run it in a maintenance window (strata deploy with a backup), or enforce the rule with a trigger first and add the constraint when the table is small',
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})
