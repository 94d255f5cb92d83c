import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/temp-dir.js'

test('--help lists the commands and the global options; --version prints the version', async () => {
  const help = await runCli(['--help'])
  assert.equal(help.code, 0)
  for (const word of ['init', 'dev', '--config', '--name', '--url', '--json', '--quiet', '--debug']) {
    assert.ok(help.stdout.includes(word), `help mentions ${word}`)
  }
  const version = await runCli(['--version'])
  assert.equal(version.code, 0)
  const pkg = JSON.parse(readFileSync(join(process.env.STRATA_TEST_ROOT!, 'package.json'), 'utf8'))
  assert.equal(version.stdout.trim(), pkg.version)
})

test('every command has --help with the global options', async () => {
  const result = await runCli(['dev', 'start', '--help'])
  assert.equal(result.code, 0)
  assert.match(result.stdout, /Global Options:[\s\S]*--url/)
})

test('an unknown command or option is a usage error with the closest match', async () => {
  const command = await runCli(['dve', 'status'])
  assert.equal(command.code, 2)
  assert.match(command.stderr, /unknown command 'dve'/)
  assert.match(command.stderr, /Did you mean dev\?/)
  const option = await runCli(['dev', 'status', '--jsno'])
  assert.equal(option.code, 2)
  assert.match(option.stderr, /unknown option '--jsno'/)
  assert.match(option.stderr, /Did you mean --json\?/)
  // Alembic's options, typed out of habit, say what to do in Strata instead.
  assert.match(
    (await runCli(['upgrade', 'head', '--tag=v2'])).stderr,
    /hint: Alembic's --tag has no Strata equivalent/,
  )
  // And Alembic's commands Strata has in another form say which.
  const templates = await runCli(['list_templates'])
  assert.equal(templates.code, 2)
  assert.equal(
    templates.stderr,
    "error: unknown command 'list_templates'\n  hint: Strata's migration templates are chosen per revision: strata revision -m MESSAGE --template blank|add-column|add-index|add-foreign-key (--sql for an SQL file)\n",
  )
  assert.match((await runCli(['ensure_version'])).stderr, /hint: .*strata stamp base creates them empty/)
  // Any other usage error of a command points at its help; a downgrade without its
  // target names the targets.
  assert.match(
    option.stderr,
    /\n {2}hint: `strata dev status --help` shows its arguments, options and examples\n$/,
  )
  const downgrade = await runCli(['downgrade'])
  assert.equal(downgrade.code, 2)
  assert.equal(
    downgrade.stderr,
    "error: missing required argument 'target'\n  hint: `strata downgrade -1` goes one step back; a revision id back to it; `base` reverts everything (data it destroys is backed up first)\n",
  )
  const show = await runCli(['show'])
  assert.equal(show.code, 2)
  assert.match(show.stderr, /missing required argument 'rev'\n {2}hint: `strata show --help`/)
  const restore = await runCli(['restore'])
  assert.equal(restore.code, 2)
  assert.match(
    restore.stderr,
    /missing required argument 'backup'\n {2}hint: `strata backups list` shows the backup ids/,
  )
})

test('strata backups alone lists the backups; a mistyped subcommand is a usage error with the closest match', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'strata.config.json'), '{}')
  const bare = await runCli(['backups'], { cwd: dir })
  assert.equal(bare.code, 0, bare.stderr)
  assert.equal(bare.stdout, `no backups in ${join(dir, 'data', 'backups')}\n`)
  // The guide's backup_database.sh wrote these: named, not taken for Strata's, not pruned.
  mkdirSync(join(dir, 'data', 'backups'), { recursive: true })
  writeFileSync(join(dir, 'data', 'backups', 'assistant_20251126_100001.sql.gz'), 'x')
  const foreign = await runCli(['backups', 'list'], { cwd: dir })
  assert.equal(foreign.stdout, `no Strata backups in ${join(dir, 'data', 'backups')}\n`)
  assert.match(
    foreign.stderr,
    /! 1 archive without a Strata manifest \(another tool's backups\?\): assistant_20251126_100001\.sql\.gz\. Strata does not restore or prune them/,
  )
  assert.equal((await runCli(['backups', 'prune', '--yes'], { cwd: dir })).code, 0)
  assert.ok(existsSync(join(dir, 'data', 'backups', 'assistant_20251126_100001.sql.gz')))
  const typo = await runCli(['backups', 'verfy'], { cwd: dir })
  assert.equal(typo.code, 2)
  assert.equal(
    typo.stderr,
    'error: unknown command "verfy" for strata backups. Did you mean "verify"?\n  hint: its commands: list, import, verify, prune, saved; `strata backups --help` describes them\n',
  )
})

test('strata without a command shows help as a usage error', async () => {
  const result = await runCli([])
  assert.equal(result.code, 2)
  assert.match(result.stderr, /Usage: strata/)
})

test('init scaffolds a project and refuses to overwrite it, or to write where a file is', async (t) => {
  const dir = tempDir(t)
  const first = await runCli(['init', dir])
  assert.equal(first.code, 0, first.stderr)
  assert.ok(statSync(join(dir, 'migrations', 'versions')).isDirectory())
  const config = readFileSync(join(dir, 'strata.config.ts'), 'utf8')
  assert.match(config, /import \{ defineConfig \} from 'strata'/)
  // The scaffolded config loads as it is.
  const status = await runCli(['dev', 'status', '--json'], { cwd: dir })
  assert.equal(status.code, 0, status.stderr)
  assert.equal(JSON.parse(status.stdout).port, 5433)
  // So does it with every suggested production setting switched on.
  const suggested = config.replace(/^ {2}\/\/ (lock|backfill|backup|health|deploy): /gm, '  $1: ')
  assert.equal(suggested.match(/^ {2}(lock|backfill|backup|health|deploy): /gm)?.length, 5)
  writeFileSync(join(dir, 'strata.config.ts'), suggested)
  const loaded = await runCli(['dev', 'status', '--json'], {
    cwd: dir,
    env: { SLACK_WEBHOOK_URL: 'https://hooks.example.com/services/x' },
  })
  assert.equal(loaded.code, 0, loaded.stderr)

  writeFileSync(join(dir, 'strata.config.ts'), '// edited by hand\n')
  const second = await runCli(['init', dir])
  assert.equal(second.code, 2)
  assert.match(second.stderr, /refusing to overwrite: .*strata\.config\.ts/)
  assert.equal(readFileSync(join(dir, 'strata.config.ts'), 'utf8'), '// edited by hand\n')
  assert.ok(existsSync(join(dir, 'migrations', 'versions')))
  // A file where the project directory should be is bad input, not an unexpected error.
  const file = join(dir, 'strata.config.ts')
  const onFile = await runCli(['init', file])
  assert.equal(onFile.code, 2, onFile.stderr)
  assert.equal(
    onFile.stderr,
    `error: cannot create ${file}: a file is in the way\n  hint: name a directory this account can write (strata init DIR), or run strata init inside the project\n`,
  )
})

test('init in a project that depends on node-pg-migrate or Prisma says how to adopt their database', async (t) => {
  const dir = tempDir(t)
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      dependencies: { pg: '^8' },
      devDependencies: { 'node-pg-migrate': '^7', prisma: '^5' },
    }),
  )
  const init = await runCli(['init', dir])
  assert.equal(init.code, 0, init.stderr)
  assert.match(
    init.stdout,
    /found node-pg-migrate, prisma in package\.json: keep its migrations as Strata's with `strata convert DIR` .*, or adopt a database it migrated with `strata revision -m "baseline" --baseline`/,
  )
  assert.deepEqual(JSON.parse((await runCli(['init', tempDir(t), '--json'])).stdout).otherTools, [])

  // Its migrations in the project: the command that converts them.
  const prisma = tempDir(t)
  writeFileSync(join(prisma, 'package.json'), JSON.stringify({ devDependencies: { prisma: '^5' } }))
  mkdirSync(join(prisma, 'prisma', 'migrations', '20240101120000_init'), { recursive: true })
  writeFileSync(
    join(prisma, 'prisma', 'migrations', '20240101120000_init', 'migration.sql'),
    'CREATE TABLE a (id int);\n',
  )
  const withMigrations = await runCli(['init', prisma])
  assert.equal(withMigrations.code, 0, withMigrations.stderr)
  assert.match(
    withMigrations.stdout,
    /found prisma migrations in prisma\/migrations: keep them as Strata's with `strata convert prisma\/migrations` \(it says which revision to stamp on a database prisma migrated\)\n/,
  )
})

test("init names the DATABASE_URL of the project's .env (masked), which every command will use", async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, '.env'), 'DATABASE_URL="postgresql://app:hunter2@db.internal:5432/app"\n')
  const init = await runCli(['init', dir])
  assert.equal(init.code, 0, init.stderr)
  assert.match(
    init.stdout,
    /found DATABASE_URL in \.env \(postgresql:\/\/app:\*\*\*@db\.internal:5432\/app\): every strata command here uses it/,
  )
  assert.doesNotMatch(init.stdout + init.stderr, /hunter2/)
})

test('init in an Alembic project points the config at its versions directory and reads its history', async (t) => {
  const dir = tempDir(t)
  writeFileSync(
    join(dir, 'alembic.ini'),
    '[alembic]\nscript_location = %(here)s/db/alembic\nsqlalchemy.url = driver://user:pass@localhost/dbname\n',
  )
  mkdirSync(join(dir, 'db', 'alembic', 'versions'), { recursive: true })
  writeFileSync(
    join(dir, 'db', 'alembic', 'versions', '1975ea83b712_create_users.py'),
    '"""create users"""\nrevision = \'1975ea83b712\'\ndown_revision = None\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n',
  )
  const init = await runCli(['init', dir])
  assert.equal(init.code, 0, init.stderr)
  assert.match(init.stdout, /found an Alembic project: migrations\.directories is db\/alembic\/versions/)
  assert.match(
    init.stdout,
    /`strata convert db\/alembic\/versions` ports its migrations made of op calls to SQL/,
  )
  assert.match(
    readFileSync(join(dir, 'strata.config.ts'), 'utf8'),
    /directories: \['db\/alembic\/versions'\]/,
  )
  assert.equal(existsSync(join(dir, 'migrations')), false, 'no second versions directory')
  const history = await runCli(['history'], { cwd: dir })
  assert.equal(history.stdout, '<base> -> 1975ea83b712 (head), create users\n', history.stderr)
  assert.doesNotMatch(init.stdout, /alembic\.ini connects to/, "Alembic's placeholder URL is no database")
  assert.doesNotMatch(init.stdout, /env\.py reads/, 'no env.py: nothing said of it')

  // The URL most projects keep in the environment, read by env.py: named, with the way to share it.
  const withEnvPy = tempDir(t)
  writeFileSync(join(withEnvPy, 'alembic.ini'), '[alembic]\nscript_location = alembic\n')
  mkdirSync(join(withEnvPy, 'alembic', 'versions'), { recursive: true })
  writeFileSync(
    join(withEnvPy, 'alembic', 'env.py'),
    'import os\nconfig.set_main_option("sqlalchemy.url", os.environ["ASSISTANT_DB_URL"])\nschema = os.getenv("DB_SCHEMA", "public")\n',
  )
  const envPy = await runCli(['init', withEnvPy])
  assert.equal(envPy.code, 0, envPy.stderr)
  assert.match(
    envPy.stdout,
    /env\.py reads \$ASSISTANT_DB_URL from the environment: strata reads DATABASE_URL, so export DATABASE_URL="\$ASSISTANT_DB_URL", or name it in strata\.config\.ts: databases: \{ main: '\$\{ASSISTANT_DB_URL\}' \}\n/,
  )
  assert.doesNotMatch(readFileSync(join(withEnvPy, 'strata.config.ts'), 'utf8'), /versionTable/)

  // A version table env.py names is the one the config uses, so the history reads on.
  const custom = tempDir(t)
  writeFileSync(
    join(custom, 'alembic.ini'),
    '[alembic]\nscript_location = alembic\nfile_template = %%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s\n',
  )
  mkdirSync(join(custom, 'alembic', 'versions'), { recursive: true })
  writeFileSync(
    join(custom, 'alembic', 'env.py'),
    'context.configure(\n    connection=connection,\n    target_metadata=target_metadata,\n    version_table=\'assistant_version\',\n    version_table_schema="ops",\n)\n',
  )
  const customInit = await runCli(['init', custom])
  assert.equal(customInit.code, 0, customInit.stderr)
  assert.match(
    customInit.stdout,
    /env\.py keeps Alembic's versions in ops\.assistant_version: so does Strata \(migrations\.versionTable, migrations\.versionTableSchema in strata\.config\.ts\)\n/,
  )
  const customConfig = readFileSync(join(custom, 'strata.config.ts'), 'utf8')
  assert.match(customConfig, /versionTable: 'assistant_version',\n {4}versionTableSchema: 'ops',/)
  assert.match(
    customInit.stdout,
    /alembic\.ini names new files %\(year\)d_%\(month\)\.2d_%\(day\)\.2d_%\(rev\)s_%\(slug\)s: so does strata revision \(migrations\.fileTemplate\)\n/,
  )
  const heads = await runCli(['heads'], { cwd: custom })
  assert.equal(heads.code, 0, `the config it wrote loads: ${heads.stderr}`)
  // New files are named as Alembic named them.
  const revision = await runCli(['revision', '-m', 'Add users', '--rev-id', 'ab12cd34ef56', '--sql'], {
    cwd: custom,
  })
  assert.equal(revision.code, 0, revision.stderr)
  const today = new Date()
  const stamp = `${today.getFullYear()}_${String(today.getMonth() + 1).padStart(2, '0')}_${String(today.getDate()).padStart(2, '0')}`
  assert.deepEqual(readdirSync(join(custom, 'alembic', 'versions')), [`${stamp}_ab12cd34ef56_add_users.sql`])

  // A real sqlalchemy.url is pointed at, its password masked in the output and the config.
  const withUrl = tempDir(t)
  writeFileSync(
    join(withUrl, 'alembic.ini'),
    '[alembic]\nscript_location = alembic\nsqlalchemy.url = postgresql+psycopg2://assistant:s3cret@localhost:5433/assistant\n',
  )
  mkdirSync(join(withUrl, 'alembic', 'versions'), { recursive: true })
  const pointed = await runCli(['init', withUrl])
  assert.equal(pointed.code, 0, pointed.stderr)
  assert.match(
    pointed.stdout,
    /alembic\.ini connects to postgresql\+psycopg2:\/\/assistant:\*\*\*@localhost:5433\/assistant: strata takes the same URL from DATABASE_URL/,
  )
  const config = readFileSync(join(withUrl, 'strata.config.ts'), 'utf8')
  assert.match(
    config,
    /\/\/ alembic\.ini connects to postgresql\+psycopg2:\/\/assistant:\*\*\*@localhost:5433\/assistant\./,
  )
  assert.ok(!`${pointed.stdout}${config}`.includes('s3cret'), 'the password is never copied')

  // version_locations, split as Alembic splits them, are every directory the config reads;
  // env.py is found under script_location, not beside the first of them.
  const located = tempDir(t)
  writeFileSync(
    join(located, 'alembic.ini'),
    '[alembic]\nscript_location = %(here)s/db\nversion_locations = %(here)s/db/versions;%(here)s/billing/versions\nversion_path_separator = ;\nrecursive_version_locations = true\n',
  )
  for (const directory of ['db/versions/2026', 'billing/versions'])
    mkdirSync(join(located, directory), { recursive: true })
  writeFileSync(
    join(located, 'db', 'versions', '2026', 'c1_accounts.py'),
    'revision = "c1"\ndown_revision = None\n\ndef upgrade():\n    op.execute("CREATE TABLE accounts (id int)")\n',
  )
  writeFileSync(join(located, 'db', 'env.py'), "context.configure(version_table_schema='ops')\n")
  writeFileSync(
    join(located, 'billing', 'versions', 'b1_invoices.py'),
    'revision = "b1"\ndown_revision = None\nbranch_labels = ("billing",)\n\ndef upgrade():\n    op.execute("CREATE TABLE invoices (id int)")\n',
  )
  const locatedInit = await runCli(['init', located])
  assert.equal(locatedInit.code, 0, locatedInit.stderr)
  assert.match(
    locatedInit.stdout,
    /migrations\.directories are db\/versions, billing\/versions \(alembic\.ini's version_locations\).*new ones go into db\/versions/,
  )
  const locatedConfig = readFileSync(join(located, 'strata.config.ts'), 'utf8')
  assert.match(
    locatedConfig,
    /directories: \['db\/versions', 'billing\/versions'\],\n {4}versionTableSchema: 'ops',/,
  )
  assert.match(locatedConfig, /\n {4}recursive: true,/)
  assert.match(locatedInit.stdout, /recursive_version_locations\): so does Strata \(migrations\.recursive\)/)
  const locatedHeads = await runCli(['heads'], { cwd: located })
  assert.equal(locatedHeads.code, 0, locatedHeads.stderr)
  assert.match(locatedHeads.stdout, /^b1 \(billing\) \(head\)/m)
  assert.match(locatedHeads.stdout, /^c1 \(head\)/m, 'the subdirectory migration is read')
})
