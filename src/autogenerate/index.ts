/** `strata revision --autogenerate`, and the catalog diff behind it. */
export type {
  AutogenerateOptions,
  AutogenerateResult,
  AutogenerateStage,
  ReplayProof,
} from './autogenerate-revision.js'
export { autogenerateRevision } from './autogenerate-revision.js'
export type { SchemaChanges } from './schema-changes.js'
export { schemaChanges } from './schema-changes.js'
