/**
 * The bookkeeping tables of migration tools, which a baseline of the schema leaves out:
 * they record another tool's history, not the application's schema. Strata's own
 * tables are among them (the version table's name is configurable and added by the caller).
 */
export const MIGRATION_TOOL_TABLES: Readonly<Record<string, string>> = {
  alembic_version: 'Alembic or Strata',
  strata_history: 'Strata',
  pgmigrations: 'node-pg-migrate',
  _prisma_migrations: 'Prisma Migrate',
  knex_migrations: 'Knex',
  knex_migrations_lock: 'Knex',
  schema_migrations: 'Rails, golang-migrate or dbmate',
  flyway_schema_history: 'Flyway',
  SequelizeMeta: 'Sequelize',
  goose_db_version: 'goose',
  __diesel_schema_migrations: 'Diesel',
}
