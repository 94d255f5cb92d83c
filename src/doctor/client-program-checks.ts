import { ClientProgramError, pickClientProgram, probeClientPrograms } from '../backup/client-programs.js'
import type { ResolvedConfig } from '../config/types.js'
import type { CheckResult } from '../health/check-result.js'
import { runCheck } from '../health/check-result.js'

/** The client programs Strata runs, and what for. */
const PROGRAMS: readonly { name: string; purpose: string }[] = [
  { name: 'pg_dump', purpose: 'backups, and the data an upgrade or downgrade destroys' },
  { name: 'pg_restore', purpose: 'restores of custom and directory backups' },
  { name: 'psql', purpose: 'restores of plain backups' },
  { name: 'pg_basebackup', purpose: 'base backups for point-in-time recovery (else the low-level API)' },
]

/**
 * One check per client program: the one that would be used for a server of `serverMajor`
 * (a major at least the server's), or, without a server to compare with, every one
 * found. A program missing is a warning, not a failure: migrations run without it, and
 * what needs it says so when it runs.
 */
export async function clientProgramChecks(
  config: ResolvedConfig,
  serverMajor: number | undefined,
  /** The development server: its data directory is here, so base backups need no pg_basebackup. */
  embedded = false,
): Promise<CheckResult[]> {
  const found = await Promise.all(
    PROGRAMS.map((program) => probeClientPrograms(program.name, { pgBinDir: config.pgBinDir })),
  )
  // The install advice is the same for every program of a major: said once, at the first.
  let advised = false
  return Promise.all(
    PROGRAMS.map((program, index) =>
      runCheck(`client-${program.name}`, `${program.name} usable`, async () => {
        const programs = found[index]!
        const all = programs.map((p) => `${p.version} (${p.path})`).join(', ')
        if (serverMajor === undefined)
          return programs.length === 0
            ? { status: 'warn', summary: `none found; for ${program.purpose}` }
            : { status: 'ok', summary: `found ${all}` }
        try {
          const chosen = pickClientProgram(program.name, programs, {
            purpose: `this server (PostgreSQL ${serverMajor})`,
            minimumMajor: serverMajor,
            pgBinDir: config.pgBinDir,
          })
          return { status: 'ok', summary: `${chosen.version} (${chosen.path}) for PostgreSQL ${serverMajor}` }
        } catch (error) {
          if (!(error instanceof ClientProgramError)) throw error
          if (embedded && program.name === 'pg_basebackup')
            return {
              status: 'ok',
              summary: `none for PostgreSQL ${serverMajor}: base backups of the development server copy its data directory (the low-level API)`,
            }
          const details = advised || error.hint === undefined ? [] : [error.hint]
          advised = true
          return { status: 'warn', summary: `${error.message}; needed for ${program.purpose}`, details }
        }
      }),
    ),
  )
}
