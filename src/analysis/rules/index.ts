import breakingOutsideContract from './breaking-outside-contract.js'
import columnReadByView from './column-read-by-view.js'
import columnTypeChange from './column-type-change.js'
import concurrentlyInTransaction from './concurrently-in-transaction.js'
import concurrentlyOnPartitionedTable from './concurrently-on-partitioned-table.js'
import constraintWithoutNotValid from './constraint-without-not-valid.js'
import createIndexNotConcurrently from './create-index-not-concurrently.js'
import deleteWithoutWhere from './delete-without-where.js'
import detachPartitionNotConcurrently from './detach-partition-not-concurrently.js'
import domainConstraint from './domain-constraint.js'
import downgradeDestroysData from './downgrade-destroys-data.js'
import dropColumn from './drop-column.js'
import dropDatabase from './drop-database.js'
import dropIndexNotConcurrently from './drop-index-not-concurrently.js'
import dropPrimaryKey from './drop-primary-key.js'
import dropSchemaCascade from './drop-schema-cascade.js'
import dropTable from './drop-table.js'
import enumValueInTransaction from './enum-value-in-transaction.js'
import exclusionConstraint from './exclusion-constraint.js'
import foreignKeyWithoutIndex from './foreign-key-without-index.js'
import identifierTooLong from './identifier-too-long.js'
import lockHeldTooLong from './lock-held-too-long.js'
import missingDowngrade from './missing-downgrade.js'
import missingLockTimeout from './missing-lock-timeout.js'
import needsNewerServer from './needs-newer-server.js'
import notNullWithoutDefault from './not-null-without-default.js'
import notRerunnable from './not-rerunnable.js'
import notValidForeignKeyOnPartitionedTable from './not-valid-foreign-key-on-partitioned-table.js'
import preferBigintKeys from './prefer-bigint-keys.js'
import preferJsonb from './prefer-jsonb.js'
import preferTextOverChar from './prefer-text-over-char.js'
import preferTextOverVarchar from './prefer-text-over-varchar.js'
import preferTimestamptz from './prefer-timestamptz.js'
import refreshNotConcurrently from './refresh-not-concurrently.js'
import reindexNotConcurrently from './reindex-not-concurrently.js'
import rename from './rename.js'
import revisionIdTooLong from './revision-id-too-long.js'
import type { Level, Rule } from './rule.js'
import serialOrIdentityAdded from './serial-or-identity-added.js'
import setNotNullWithoutCheck from './set-not-null-without-check.js'
import storedGeneratedColumn from './stored-generated-column.js'
import swapLosesWrites from './swap-loses-writes.js'
import tableRewrite from './table-rewrite.js'
import transactionControl from './transaction-control.js'
import truncateCascade from './truncate-cascade.js'
import truncateTable from './truncate-table.js'
import unbatchedUpdate from './unbatched-update.js'
import uniqueWithoutUsingIndex from './unique-without-using-index.js'
import vacuumFullOrCluster from './vacuum-full-or-cluster.js'
import validateInSameTransaction from './validate-in-same-transaction.js'
import volatileDefault from './volatile-default.js'

/** Every migration rule, in the order findings are reported. One file per rule. */
export const RULES: readonly Rule[] = [
  breakingOutsideContract,
  columnReadByView,
  columnTypeChange,
  concurrentlyInTransaction,
  concurrentlyOnPartitionedTable,
  constraintWithoutNotValid,
  createIndexNotConcurrently,
  deleteWithoutWhere,
  detachPartitionNotConcurrently,
  domainConstraint,
  downgradeDestroysData,
  dropColumn,
  dropDatabase,
  dropIndexNotConcurrently,
  dropPrimaryKey,
  dropSchemaCascade,
  dropTable,
  enumValueInTransaction,
  exclusionConstraint,
  foreignKeyWithoutIndex,
  identifierTooLong,
  lockHeldTooLong,
  missingDowngrade,
  missingLockTimeout,
  needsNewerServer,
  notNullWithoutDefault,
  notValidForeignKeyOnPartitionedTable,
  notRerunnable,
  preferBigintKeys,
  preferJsonb,
  preferTextOverChar,
  preferTextOverVarchar,
  preferTimestamptz,
  refreshNotConcurrently,
  reindexNotConcurrently,
  rename,
  revisionIdTooLong,
  serialOrIdentityAdded,
  setNotNullWithoutCheck,
  storedGeneratedColumn,
  swapLosesWrites,
  tableRewrite,
  transactionControl,
  truncateCascade,
  truncateTable,
  unbatchedUpdate,
  uniqueWithoutUsingIndex,
  vacuumFullOrCluster,
  validateInSameTransaction,
  volatileDefault,
]

/** Findings that are not a rule's: SQL Strata cannot see, and malformed suppressions. */
export const BUILT_IN: readonly { id: string; level: Level; summary: string }[] = [
  {
    id: 'unverifiable',
    level: 'warning',
    summary: 'SQL that cannot be known without running the migration (built from query results, DO blocks)',
  },
  {
    id: 'invalid-op-call',
    level: 'error',
    summary:
      'a TypeScript migration calls a method or passes an option the op API does not have: it fails when it runs',
  },
  {
    id: 'invalid-suppression',
    level: 'error',
    summary: 'a strata:allow without a reason, or naming a rule that does not exist',
  },
]

export { multipleHeads } from './multiple-heads.js'
export type { Level, Rule, RuleContext, RuleExample, RuleHit } from './rule.js'

/** Every rule id a config or a suppression may name. */
export function ruleIds(): string[] {
  return [...RULES.map((rule) => rule.id), ...BUILT_IN.map((rule) => rule.id), 'multiple-heads']
}
