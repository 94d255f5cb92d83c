import type { Command } from 'commander'
import { UsageError } from '../errors/index.js'
import { CommandContext } from './context.js'
import { mark, Output, table } from './output.js'
import { reportError } from './report-error.js'

/** Commands that make no sense per database: they touch none, or fan out themselves. */
const NOT_PER_DATABASE = new Set(['init', 'revision', 'merge', 'dev', 'tenants', 'help'])

/** Commands that change a database: the first failure stops the sequence, as `a && b` would. */
const CHANGING = new Set(['upgrade', 'downgrade', 'stamp', 'deploy', 'rollback', 'restore'])

/** `strata upgrade`, `strata backups list`: the words after `strata`. */
function commandPath(command: Command): string[] {
  const names: string[] = []
  for (let current: Command | null = command; current?.parent; current = current.parent)
    names.unshift(current.name())
  return names
}

interface DatabaseRun {
  readonly name: string
  readonly exitCode: number | undefined
  readonly result: unknown
}

/**
 * `--all-databases`: runs one command against every database named in the config, in
 * the config's order, each exactly as `-n NAME` would (its own migrations directory
 * and version table included). A changing command stops at the first failure; a
 * reading one goes on. Ends with a summary; with --json, one document holding each
 * database's result.
 */
export async function runForEachDatabase(
  command: Command,
  context: CommandContext,
  body: (context: CommandContext) => Promise<unknown>,
): Promise<number> {
  const path = commandPath(command)
  if (NOT_PER_DATABASE.has(path[0]!))
    throw new UsageError(`--all-databases does not apply to strata ${path.join(' ')}`, {
      hint:
        path[0] === 'tenants'
          ? 'strata tenants finds its databases itself (--match, --schemas, --list)'
          : 'use it with commands that work on a database: upgrade, current, check, health, verify, backup, ...',
    })
  const names = Object.keys((await context.config()).databases)
  // Scripts for several databases on one stdout, between banners, are one script psql
  // cannot run: each database's is written on its own.
  if (command.opts().sql === true)
    throw new UsageError(
      `--all-databases and --sql exclude each other: an offline script is for one database`,
      {
        hint: `write one per database: ${names
          .map((name) => `strata -n ${name} ${[...path, ...command.args].join(' ')} --sql > ${name}.sql`)
          .slice(0, 2)
          .join('; ')}`,
      },
    )
  if (context.options.name !== undefined || context.options.url !== undefined)
    throw new UsageError('--all-databases and -n/--url exclude each other', {
      hint: 'drop -n/--url to run against every configured database, or drop --all-databases',
    })
  if (names.length === 0)
    throw new UsageError('--all-databases: the config names no databases', {
      hint: "list them under databases: { primary: '${PRIMARY_DB_URL}', analytics: '${ANALYTICS_DB_URL}' }",
    })
  const { json, quiet } = context.output
  const runs: DatabaseRun[] = []
  for (const name of names) {
    let result: unknown
    const output = new Output(json, quiet, json ? (value) => (result = value) : undefined)
    const perDatabase = new CommandContext({ ...context.options, name, allDatabases: false }, output)
    if (!json) output.line(`== ${name} ==`)
    let exitCode: number
    try {
      const code = await body(perDatabase)
      exitCode = typeof code === 'number' ? code : 0
    } catch (error) {
      // The error goes to stderr as usual; the JSON document carries it per database.
      exitCode = reportError(error, { debug: Boolean(context.options.debug), json: false })
      result = { ok: false, error: { message: (error as Error).message } }
    }
    runs.push({ name, exitCode, result })
    if (!json) output.line()
    if (exitCode !== 0 && CHANGING.has(path[0]!)) break
  }
  for (const name of names.slice(runs.length)) runs.push({ name, exitCode: undefined, result: undefined })

  const worst = Math.max(...runs.map((run) => run.exitCode ?? 0))
  context.output.line(
    table([
      ['database', 'result'],
      ...runs.map((run) => [
        run.name,
        run.exitCode === undefined
          ? 'not run: an earlier database failed'
          : run.exitCode === 0
            ? `${mark.ok()} ok`
            : `${mark.fail()} failed (exit ${run.exitCode})`,
      ]),
    ]),
  )
  context.output.data({
    ok: worst === 0,
    databases: runs.map((run) => ({
      name: run.name,
      ran: run.exitCode !== undefined,
      exitCode: run.exitCode ?? null,
      result: run.result ?? null,
    })),
  })
  return worst
}
