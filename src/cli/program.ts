import { Command, Option } from 'commander'
import { STRATA_VERSION } from '../version.js'
import { withAlembicHint } from './alembic-flags.js'
import { registerBackupCommands, registerPitrCommands } from './commands/backup.js'
import { registerCheckCommand } from './commands/check.js'
import { registerConvertCommand } from './commands/convert.js'
import { registerDeployCommands } from './commands/deploy.js'
import { registerDevCommands } from './commands/dev.js'
import { registerDiagnoseCommands } from './commands/diagnose.js'
import { registerDiffCommand } from './commands/diff.js'
import { registerDoctorCommand } from './commands/doctor.js'
import { registerHealthCommands } from './commands/health.js'
import { registerInitCommand } from './commands/init.js'
import { registerMigrateCommands } from './commands/migrate.js'
import { registerRehearseCommand } from './commands/rehearse.js'
import { registerRevisionCommands } from './commands/revisions.js'
import { registerTenantsCommands } from './commands/tenants.js'
import { collect } from './option-values.js'
import { addUsageHints } from './usage-hints.js'

export { STRATA_VERSION }

/**
 * The `strata` command tree. Each command module registers its commands and loads
 * its implementation only when run, which keeps `strata --help` fast.
 */
export function buildProgram(): Command {
  const program = new Command('strata')
    .description('Change production PostgreSQL schemas without downtime and without losing data.')
    .version(STRATA_VERSION, '-V, --version', 'print the Strata version')
    .option(
      '-c, --config <file>',
      'config file (default: strata.config.{ts,mts,js,mjs,json} in the working directory, or above it inside a git repository)',
    )
    .option('-n, --name <name>', 'a database named in the config')
    .option('--url <url>', 'database URL (postgresql://user@host:port/db)')
    .option('--all-databases', 'run the command against every database in the config, in order')
    .option('--json', 'print one JSON document on stdout')
    .option('-x <key=value>', 'argument passed to migrations (repeatable)', collect)
    .option('-q, --quiet', 'print only results and errors')
    .addOption(new Option('--debug', 'print stack traces'))
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (text, write) => write(withAlembicHint(text)) })
    .configureHelp({ showGlobalOptions: true })
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()

  registerInitCommand(program)
  registerRevisionCommands(program)
  registerConvertCommand(program)
  registerMigrateCommands(program)
  registerCheckCommand(program)
  registerRehearseCommand(program)
  registerHealthCommands(program)
  registerDoctorCommand(program)
  registerDiagnoseCommands(program)
  registerDiffCommand(program)
  registerBackupCommands(program)
  registerPitrCommands(program)
  registerDeployCommands(program)
  registerTenantsCommands(program)
  registerDevCommands(program)
  addUsageHints(program)
  return program
}
