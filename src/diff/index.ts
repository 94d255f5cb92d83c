/** `strata diff`: two databases' schemas compared. */
export type { DatabaseDiff, DatabaseDiffOptions } from './compare-databases.js'
export { compareDatabases } from './compare-databases.js'
