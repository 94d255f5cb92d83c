export type {
  MigrationRehearsal,
  RehearsalOutcome,
  RehearsalReport,
  RehearseOptions,
} from './rehearse-migrations.js'
export { rehearseMigrations } from './rehearse-migrations.js'
