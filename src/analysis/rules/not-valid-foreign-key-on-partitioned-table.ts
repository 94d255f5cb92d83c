import { constraintName } from './fix-names.js'
import {
  NOT_VALID_ON_PARTITIONED_SINCE,
  partitionedForeignKeyRecipe,
} from './partitioned-foreign-key-recipe.js'
import { alterCommands, defineRule, perStatement } from './rule.js'

export default defineRule({
  id: 'not-valid-foreign-key-on-partitioned-table',
  level: 'error',
  summary: `ADD FOREIGN KEY ... NOT VALID fails on a partitioned table before PostgreSQL ${NOT_VALID_ON_PARTITIONED_SINCE}: it is added partition by partition`,
  examples: {
    flagged: [
      'CREATE TABLE events (at int NOT NULL, user_id bigint) PARTITION BY RANGE (at); ALTER TABLE events ADD CONSTRAINT fk_events_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
      {
        sql: 'CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM (2027) TO (2028); ALTER TABLE events ADD FOREIGN KEY (user_id) REFERENCES users NOT VALID;',
        serverVersion: 17,
      },
    ],
    accepted: [
      'ALTER TABLE events ADD CONSTRAINT fk_events_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
      {
        sql: 'CREATE TABLE events (at int NOT NULL, user_id bigint) PARTITION BY RANGE (at); ALTER TABLE events ADD CONSTRAINT fk_events_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
        serverVersion: 18,
      },
    ],
  },
  check: perStatement(
    (statement, context) => {
      const partitions = statement.effects.partitions
      // op.addForeignKeySafely goes partition by partition when it runs.
      if (partitions === undefined || statement.partitionAware) return undefined
      if (context.serverVersion >= NOT_VALID_ON_PARTITIONED_SINCE) return undefined
      return alterCommands(statement).flatMap((cmd) => {
        const constraint = cmd.def?.Constraint
        if (cmd.subtype !== 'AT_AddConstraint' || constraint?.contype !== 'CONSTR_FOREIGN') return []
        if (!constraint.skip_validation) return []
        const name = constraintName(cmd.table, constraint)
        return [
          {
            statement,
            message: `adds foreign key ${name} NOT VALID to the partitioned table ${cmd.table}: PostgreSQL refuses it before ${NOT_VALID_ON_PARTITIONED_SINCE} ("cannot add NOT VALID foreign key on partitioned table")`,
            fix: partitionedForeignKeyRecipe(cmd.table, name, constraint, partitions),
          },
        ]
      })
    },
    ['AlterTableStmt'],
  ),
})
