import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { InvalidInputError, UsageError } from '../../errors/index.js'
import { withoutByteOrderMark } from '../../util/byte-order-mark.js'
import { utf8Text } from '../../util/utf8-text.js'
import type { CommandContext } from '../context.js'
import { collect, keyValuePairs } from '../option-values.js'
import { jsonIndent } from '../output.js'
import { action } from '../run-action.js'

interface CheckFlags {
  revRange?: string
  changedSince?: string
  offline?: boolean
  format?: string
  pgVersion?: string
  rules?: boolean
  verbose?: boolean
  set?: string[]
}

/** `strata check`: safety analysis of migrations, files or stdin. */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('lock and safety analysis of pending (or -r A:B) migrations, or of SQL files')
    .argument('[files...]', 'SQL or migration files to check instead (- reads stdin)')
    .option('-r, --rev-range <A:B>', 'check the migrations after A up to B (e.g. base:head)')
    .option(
      '--changed-since <ref>',
      "only the migrations whose files changed since the branch left REF (git; e.g. origin/main): a pull request's",
    )
    .option('--offline', 'do not connect, even when a database is configured (CI)')
    .option(
      '--format <format>',
      'human (the default; json with --json) | json | sarif | github (annotations and the job summary in a GitHub Actions run) | gitlab (a Code Quality report) | markdown (for a pull request)',
    )
    .option(
      '--pg-version <major>',
      'server major version to assume offline (default: check.serverVersion, else dev.postgresVersion, else 16)',
    )
    .option(
      '--set <name=value>',
      "a psql variable for SQL scripts, as psql's -v gives it (repeatable)",
      collect,
    )
    .option('--rules', 'list every rule with its level and exit')
    .option(
      '-v, --verbose',
      'show the lock table row of every statement, not only those that lock existing tables',
    )
    .addHelpText(
      'after',
      `
Examples:
  strata check                          pending migrations of the configured database
  strata check --offline                every migration, from the files alone (CI)
  strata check --changed-since origin/main --format github   # a pull request's new and edited migrations
  strata check -r base:head --format sarif > strata.sarif
  strata check --format github                  # in a GitHub Actions step: annotates the pull request (and writes the job summary)
  strata check --format markdown > check.md     # a summary for a pull request comment
  strata check --offline --format gitlab > gl-code-quality.json   # GitLab: artifacts: reports: codequality
  strata check migrations/versions/abc123_add_index.sql
  strata check db/migrations/              every .sql, .ts and .js file under it, in path order
  strata check --set schema=app deploy.sql   a psql script that uses :schema
  echo "CREATE INDEX ix ON users (email);" | strata check -

Exit code 1 when an error-level finding is not suppressed. Suppress one with a reason:
  SQL: -- strata:allow drop-column: release 42 no longer reads it
  TS:  export const allow = ['drop-column: release 42 no longer reads it']`,
    )
    .action(
      action(async (context, files: string[], flags: CheckFlags) => {
        const format = flags.format ?? (context.options.json ? 'json' : 'human')
        if (!['human', 'json', 'sarif', 'github', 'gitlab', 'markdown'].includes(format)) {
          throw new UsageError(
            `--format must be human, json, sarif, github, gitlab or markdown, not "${format}"`,
          )
        }
        if (flags.rules) return listRules(context, format)
        // The parser's WebAssembly is read and instantiated (asynchronously) while the
        // config and files load; checkMigrations awaits the same promise (and reports
        // its failure).
        import('../../analysis/parse-sql.js').then((parser) => parser.loadParser()).catch(() => {})
        const serverVersion = flags.pgVersion === undefined ? undefined : parseVersion(flags.pgVersion)
        const config = await context.config()
        const inputs = files.flatMap(readInputs)
        if (
          [flags.revRange !== undefined, inputs.length > 0, flags.changedSince !== undefined].filter(Boolean)
            .length > 1
        ) {
          throw new UsageError('give one of files, -r A:B or --changed-since REF')
        }
        const changedSince =
          flags.changedSince === undefined
            ? undefined
            : {
                ref: flags.changedSince,
                files: (await import('../../analysis/changed-files.js')).filesChangedSince(
                  flags.changedSince,
                  config.rootDir,
                ),
              }
        const { checkMigrations } = await import('../../analysis/check.js')
        const target = flags.offline || inputs.length > 0 ? undefined : await context.target()
        // The development server is used when it is running (the migrations pending on it),
        // never started for a check: a check must not cost a server start.
        const connected = target !== undefined && (await context.databaseWithoutStarting())
        const base = {
          config,
          files: inputs,
          range: flags.revRange,
          ...(changedSince === undefined ? {} : { changedSince }),
          serverVersion,
          args: context.migrationArguments(),
          psqlVariables: keyValuePairs(flags.set ?? [], '--set', 'schema=app'),
        }
        let report: Awaited<ReturnType<typeof checkMigrations>>
        try {
          if (connected) {
            const { withConnection } = await import('../../db/connect.js')
            report = await withConnection(await context.connectionSpec(), (connection) =>
              checkMigrations({ ...base, client: connection.client }),
            )
          } else {
            if (target !== undefined && inputs.length === 0 && changedSince === undefined) {
              context.output.notice(
                'No database configured and the development server is not running: checking every migration from the files (offline)',
              )
            }
            report = await checkMigrations(base)
          }
        } catch (error) {
          // In a workflow, a file that ends the check (a broken config) annotates its line too.
          if (format === 'github' && error instanceof InvalidInputError) {
            const { errorAnnotation } = await import('../../analysis/github-annotations.js')
            const annotation = errorAnnotation(error)
            if (annotation !== undefined) process.stdout.write(`${annotation}\n`)
          }
          throw error
        }
        if (format === 'github') {
          const { toGithubAnnotations } = await import('../../analysis/github-annotations.js')
          const lines = toGithubAnnotations(report)
          process.stdout.write(lines.length === 0 ? '' : `${lines.join('\n')}\n`)
          // In a workflow, the job's summary page gets the review-ready table too.
          const summary = process.env.GITHUB_STEP_SUMMARY
          if (summary) {
            const { toMarkdown } = await import('../../analysis/markdown-report.js')
            appendFileSync(summary, toMarkdown(report, process.env.GITHUB_WORKSPACE || process.cwd()))
          }
        } else if (format === 'markdown') {
          const { toMarkdown } = await import('../../analysis/markdown-report.js')
          process.stdout.write(toMarkdown(report))
        } else if (format === 'gitlab') {
          const { toGitlabCodeQuality } = await import('../../analysis/gitlab-code-quality.js')
          process.stdout.write(`${JSON.stringify(toGitlabCodeQuality(report), null, jsonIndent())}\n`)
        } else if (format === 'sarif') {
          const { toSarif } = await import('../../analysis/sarif.js')
          process.stdout.write(`${JSON.stringify(toSarif(report, config.rootDir), null, jsonIndent())}\n`)
        } else if (context.options.json) {
          context.output.data(report)
        } else if (format === 'json') {
          process.stdout.write(`${JSON.stringify(report, null, jsonIndent())}\n`)
        } else {
          const { formatCheckReport } = await import('../check-output.js')
          context.output.line(formatCheckReport(report, { verbose: Boolean(flags.verbose) }))
        }
        const { throwIfUnreadable } = await import('../../analysis/unreadable-migration.js')
        throwIfUnreadable(report.unreadable)
        return report.counts.errors > 0 ? 1 : 0
      }),
    )
}

/** Files `strata check` reads inside a directory it is given: SQL and migration modules. */
const CHECKED_FILE = /\.(sql|ts|mts|js|mjs)$/

/**
 * The text of a file argument, or of each file under a directory argument (`strata check
 * migrations/`): its SQL and migration files, in path order (migration files sort by
 * their number or revision prefix, as the tools that name them intend). A directory
 * with none is bad input. Files are read first and directories found by the failure,
 * so that a run over a thousand files costs no extra system call per file.
 */
function readInputs(path: string): { path: string; text: string }[] {
  if (path === '-') return [{ path: '(stdin)', text: sqlText('(stdin)', readFileSync(0)) }]
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EISDIR')
      return filesUnder(path).map((file) => ({ path: file, text: sqlText(file, readFileSync(file)) }))
    throw new InvalidInputError(
      `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      {
        where: path,
        hint: 'name SQL or migration files, a directory of them, or - for stdin; without arguments strata check reads the configured migrations',
      },
    )
  }
  return [{ path, text: sqlText(path, bytes) }]
}

/**
 * A file's text without its byte-order mark. A file holding NUL bytes is no SQL (an
 * archive, a dump in pg_dump's custom format, a file named by mistake): said as such,
 * rather than as a syntax error quoting binary garbage.
 */
function sqlText(path: string, bytes: Buffer): string {
  if (bytes.includes(0))
    throw new InvalidInputError(
      `${path} is not a text file (it holds NUL bytes), so it holds no SQL to check`,
      {
        where: path,
        hint: 'name SQL or migration files; a custom-format backup is read with `pg_restore -f - FILE`, which prints its SQL',
      },
    )
  return withoutByteOrderMark(utf8Text(bytes, path))
}

/**
 * The files to check under a directory, at any depth, in path order. Walked by hand:
 * Node 20's `readdirSync(..., { recursive: true })` computes a relative path per entry
 * and needs a stat per file after it (~17 ms for a thousand files, a tenth of a check's
 * own work); directory entries say what they are. A symbolic link is followed to a
 * file, never into a directory, as before.
 */
function filesUnder(directory: string): string[] {
  const found: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (
        CHECKED_FILE.test(entry.name) &&
        !entry.name.endsWith('.d.ts') &&
        (entry.isFile() || (entry.isSymbolicLink() && statSync(path).isFile()))
      )
        found.push(path)
    }
  }
  walk(directory)
  found.sort()
  if (found.length === 0)
    throw new InvalidInputError(`${directory} holds no .sql, .ts or .js file to check`, {
      where: directory,
      hint: 'name the directory that holds the migrations, or the files themselves',
    })
  return found
}

function parseVersion(text: string): number {
  const major = Number.parseInt(text, 10)
  if (!Number.isInteger(major) || major < 9 || major > 30 || !/^\d+(\.\d+)?$/.test(text)) {
    throw new UsageError(`--pg-version expects a major version such as 16, not "${text}"`)
  }
  return major
}

async function listRules(context: CommandContext, format: string): Promise<number> {
  const { RULES, BUILT_IN, multipleHeads } = await import('../../analysis/rules/index.js')
  const config = await context.config()
  const all = [...RULES, multipleHeads, ...BUILT_IN]
  const rows = all.map((rule) => ({
    id: rule.id,
    level: config.check.rules[rule.id] ?? rule.level,
    summary: rule.summary,
  }))
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(rows, null, jsonIndent())}\n`)
    return 0
  }
  if (format !== 'human')
    throw new UsageError(
      `--rules lists the rules as a table or as JSON: --format human or json, not ${format}`,
    )
  const { table } = await import('../output.js')
  context.output.line(
    table([['rule', 'level', 'what it catches'], ...rows.map((r) => [r.id, r.level, r.summary])]),
  )
  return 0
}
