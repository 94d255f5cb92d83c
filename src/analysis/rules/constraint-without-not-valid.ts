import { relationName, typeInfo } from '../ast.js'
import { displayType } from '../column-types.js'
import {
  checkConditionText,
  columnsArray,
  constraintName,
  foreignKeyOptionsArgument,
  sqlIdent,
  sqlTableName,
  tableBaseName,
} from './fix-names.js'
import {
  NOT_VALID_ON_PARTITIONED_SINCE,
  partitionedForeignKeyRecipe,
} from './partitioned-foreign-key-recipe.js'
import { alterCommands, defineRule, isExisting, perStatement } from './rule.js'

export default defineRule({
  id: 'constraint-without-not-valid',
  level: 'error',
  summary: 'a FOREIGN KEY or CHECK added without NOT VALID scans the whole table under a blocking lock',
  examples: {
    flagged: [
      'ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id);',
      'ALTER TABLE users ADD CONSTRAINT ck_age CHECK (age >= 0);',
      'ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);',
    ],
    accepted: [
      'ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
      'CREATE TABLE t (a int); ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0);',
    ],
  },
  check: perStatement(
    (statement, context) =>
      alterCommands(statement).flatMap((cmd) => {
        const column = cmd.def?.ColumnDef
        if (cmd.subtype === 'AT_AddColumn' && isExisting(statement, cmd.table)) {
          const reference = (column?.constraints ?? []).find(
            (c: any) => c.Constraint?.contype === 'CONSTR_FOREIGN' && !c.Constraint.skip_validation,
          )?.Constraint
          if (reference === undefined) return []
          const referenced = relationName(reference.pktable)
          const table = sqlTableName(cmd.table)
          const keyName = `fk_${tableBaseName(cmd.table)}_${column.colname}`.slice(0, 63)
          const name = sqlIdent(keyName)
          const addColumn = `ALTER TABLE ${table} ADD COLUMN ${sqlIdent(column.colname)} ${displayType(typeInfo(column.typeName))};`
          const partitions = statement.effects.partitions
          if (partitions !== undefined && context.serverVersion < NOT_VALID_ON_PARTITIONED_SINCE) {
            // The key written on the column, as a table constraint on it, partition by partition.
            const onColumn = { ...reference, fk_attrs: [{ String: { sval: column.colname } }] }
            return [
              {
                statement,
                message: `adds ${cmd.table}.${column.colname} with a foreign key to ${referenced}: every row of each partition of ${cmd.table} is checked under ACCESS EXCLUSIVE, and writes to ${referenced} wait`,
                fix: [addColumn, partitionedForeignKeyRecipe(cmd.table, keyName, onColumn, partitions)].join(
                  '\n',
                ),
              },
            ]
          }
          return [
            {
              statement,
              message: `adds ${cmd.table}.${column.colname} with a foreign key to ${referenced}: every row of ${cmd.table} is checked under ACCESS EXCLUSIVE, and writes to ${referenced} wait`,
              fix: [
                addColumn,
                `ALTER TABLE ${table} ADD CONSTRAINT ${name} FOREIGN KEY (${sqlIdent(column.colname)}) REFERENCES ${sqlTableName(referenced)} NOT VALID;`,
                `ALTER TABLE ${table} VALIDATE CONSTRAINT ${name};  -- separate transaction`,
              ].join('\n'),
            },
          ]
        }
        const constraint = cmd.def?.Constraint
        if (cmd.subtype !== 'AT_AddConstraint' || constraint?.skip_validation) return []
        if (constraint?.contype !== 'CONSTR_FOREIGN' && constraint?.contype !== 'CONSTR_CHECK') return []
        if (!isExisting(statement, cmd.table)) return []
        const foreign = constraint.contype === 'CONSTR_FOREIGN'
        const name = constraintName(cmd.table, constraint)
        const referenced = foreign ? relationName(constraint.pktable) : undefined
        const partitions = statement.effects.partitions
        if (foreign && partitions !== undefined && context.serverVersion < NOT_VALID_ON_PARTITIONED_SINCE) {
          if (partitions.length === 0) return [] // nothing to check yet: no partition
          // The last step of the fix below: every partition's key is validated already.
          if (statement.effects.adoptedConstraints.includes(constraint)) return []
          return [
            {
              statement,
              message: `adds foreign key ${name} to the partitioned table ${cmd.table} and checks every row of its ${partitions.length} partition(s) while holding SHARE ROW EXCLUSIVE on all of them and on ${referenced}: writes to them wait. NOT VALID is refused on a partitioned table before PostgreSQL ${NOT_VALID_ON_PARTITIONED_SINCE}: add it partition by partition`,
              fix: partitionedForeignKeyRecipe(cmd.table, name, constraint, partitions),
            },
          ]
        }
        return [
          {
            statement,
            message: foreign
              ? `adds foreign key ${name} and checks every row of ${cmd.table} while holding SHARE ROW EXCLUSIVE on ${cmd.table} and ${referenced}: writes to both wait`
              : `adds check ${name} and scans every row of ${cmd.table} under ACCESS EXCLUSIVE: reads and writes wait`,
            fix: [
              `${statement.sql.replace(/;?\s*$/, '')} NOT VALID;`,
              `ALTER TABLE ${sqlTableName(cmd.table)} VALIDATE CONSTRAINT ${sqlIdent(name)};  -- in a separate transaction: only SHARE UPDATE EXCLUSIVE`,
              foreign
                ? `TS: await op.addForeignKeySafely('${name}', '${cmd.table}', '${referenced}', ${columnsArray(constraint.fk_attrs)}, ${columnsArray(constraint.pk_attrs, ['id'])}${foreignKeyOptionsArgument(constraint)})`
                : `TS: await op.addCheckSafely('${name}', '${cmd.table}', ${conditionArgument(statement.sql, constraint.conname)})`,
            ].join('\n'),
          },
        ]
      }),
    ['AlterTableStmt'],
  ),
})

/** The CHECK's condition as a TS string argument, or a placeholder when it cannot be read back. */
function conditionArgument(sql: string, name: string | undefined): string {
  const condition = checkConditionText(sql, name)
  return condition === undefined ? "'<condition>'" : JSON.stringify(condition)
}
