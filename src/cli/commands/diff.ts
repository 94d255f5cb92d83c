import type { Command } from 'commander'
import type { ConnectionSpec } from '../../db/connection-spec.js'
import type { DestroyedData } from '../../diff/destroyed-data.js'
import { plural } from '../../util/plural.js'
import type { CommandContext } from '../context.js'
import { mark } from '../output.js'
import { action } from '../run-action.js'

/** `strata diff OTHER`: the selected database's schema against another's. */
export function registerDiffCommand(program: Command): void {
  program
    .command('diff')
    .description("compare the database's schema with another database's, object by object")
    .argument('<other>', 'a database named in the config, or a URL')
    .option(
      '--sql',
      "print the SQL that makes this database's schema like the other's (to review, not run blind)",
    )
    .addHelpText(
      'after',
      `
Tables, columns, indexes, constraints, sequences, enum and other types, views,
functions, triggers, row-level security, policies and comments of the managed schemas
(health.schemas) are compared; Strata's and other migration tools' own tables are not.
Nothing is written to either database. Exit 1 when they differ.

Examples:
  strata -n staging diff production       is staging what production will become?
  strata diff "$REPLICA_URL"               the selected database against another server's
  strata -n tenant_a diff tenant_b --sql   what would make tenant_a like tenant_b`,
    )
    .action(
      action(async (context, other: string, flags: { sql?: boolean }) => {
        const config = await context.config()
        const target = await context.target()
        const spec = await context.connectionSpec()
        const otherSpec = await otherDatabase(context, other)
        const names = labels(target.name ?? spec.database, spec, other, otherSpec)
        const { compareDatabases } = await import('../../diff/index.js')
        const diff = await compareDatabases({ config, spec, other: otherSpec, names })
        context.output.data(diff)
        if (flags.sql) {
          const { enumValues, statements, online, afterOnline, byHand, destroys } = diff.sql
          const lines = [
            `-- Makes ${names.spec}'s schema like ${names.other}'s (strata diff). Review before running:`,
            `-- psql -v ON_ERROR_STOP=1 -f <this file>. Tables in use keep serving: indexes are built`,
            '-- CONCURRENTLY and constraints validated apart, after the transaction.',
            ...destroyedDataWarning(names.spec, target.name, destroys),
            ...byHand.map((line) => `-- TODO by hand: ${line}`),
            `SET lock_timeout = '${config.lock.timeout}ms';`,
            ...(enumValues.length === 0
              ? []
              : [
                  '-- Enum values first, each committed: a value is usable only once committed.',
                  ...enumValues,
                ]),
            ...(statements.length === 0 ? [] : ['BEGIN;', ...statements, 'COMMIT;']),
            ...(online.length === 0
              ? []
              : ['-- Outside a transaction, one statement at a time:', ...online.map(terminated)]),
            ...(afterOnline.length === 0
              ? []
              : ['-- Then the keys, from the indexes just built:', 'BEGIN;', ...afterOnline, 'COMMIT;']),
          ]
          context.output.line(lines.join('\n'))
          return diff.differences.length === 0 ? 0 : 1
        }
        if (diff.differences.length === 0) {
          context.output.line(
            `${mark.ok()} ${names.spec} and ${names.other} have the same schema (${plural(diff.objects, 'object')} compared in ${diff.schemas.join(', ')})`,
          )
          return 0
        }
        for (const line of diff.differences) context.output.line(`  ${line}`)
        context.output.line(
          `${mark.fail()} ${plural(diff.differences.length, 'difference')} between ${names.spec} and ${names.other}; \`--sql\` prints what would make ${names.spec} like ${names.other}`,
        )
        return 1
      }),
    )
}

/** The script's warning when it destroys data, with the backup to take first. */
function destroyedDataWarning(
  database: string,
  configName: string | undefined,
  destroys: readonly DestroyedData[],
): string[] {
  if (destroys.length === 0) return []
  const what = destroys.map(
    (data) =>
      `${data.column === undefined ? 'table' : 'column'} ${data.table}${data.column === undefined ? '' : `.${data.column}`} (${data.rows === undefined ? 'rows not counted' : `~${data.rows.toLocaleString('en-US')} rows`})`,
  )
  const tables = [...new Set(destroys.map((data) => data.table))]
  return [
    `-- WARNING: this script destroys data in ${database}: ${what.join(', ')}.`,
    `-- Back it up first: strata ${configName === undefined ? '' : `-n ${configName} `}backup ${tables.map((table) => `-t ${table}`).join(' ')} (or take a whole backup)`,
  ]
}

function terminated(statement: string): string {
  return statement.trimEnd().endsWith(';') ? statement : `${statement};`
}

/** A config name, else a URL or keyword string. */
async function otherDatabase(context: CommandContext, other: string): Promise<ConnectionSpec> {
  const config = await context.config()
  const { namedDatabaseSpec } = await import('../../db/resolve-target.js')
  if (other in config.databases) return namedDatabaseSpec(other, config, process.env)
  const { parseConnectionString } = await import('../../db/connection-spec.js')
  if (/^postgres(ql)?(\+\w+)?:\/\/|=/.test(other))
    return parseConnectionString(other, {
      env: process.env,
      connectTimeout: config.connection.connectTimeout,
      applicationName: config.connection.applicationName,
    })
  // Neither: let the config's lookup say so, with the names it knows.
  return namedDatabaseSpec(other, config, process.env)
}

/** How the two are named: their config names, else their databases, with the server when both have one name. */
function labels(
  mine: string,
  spec: ConnectionSpec,
  given: string,
  other: ConnectionSpec,
): { spec: string; other: string } {
  const theirs = /:\/\/|=/.test(given) ? other.database : given
  if (mine !== theirs) return { spec: mine, other: theirs }
  return { spec: `${mine} on ${spec.host}:${spec.port}`, other: `${theirs} on ${other.host}:${other.port}` }
}
