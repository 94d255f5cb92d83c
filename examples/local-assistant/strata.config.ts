// The local assistant service's Strata configuration. No `databases` entry: every
// command uses the embedded PostgreSQL 16 development server on 127.0.0.1:5433, which
// Strata starts on demand. For a real deployment add
//   databases: { primary: '${PRIMARY_DB_URL}' }, default: 'primary'
export default {
  dev: { port: 5433, database: 'assistant' },
  migrations: { directories: ['migrations/versions'] },
  backup: {
    directory: 'data/backups',
    // The guide's maintenance mode; `strata deploy` runs these only around a migration
    // that needs downtime. Replace with `docker-compose stop` / `docker-compose up -d`.
    hooks: {
      stopServices: 'echo "maintenance mode on (docker-compose stop would run here)"',
      startServices: 'echo "maintenance mode off (docker-compose up -d would run here)"',
    },
  },
  deploy: {
    log: 'migrations/production_log.txt',
    reportsDirectory: 'migrations',
  },
}
