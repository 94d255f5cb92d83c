/**
 * Every failure Strata expects carries an exit code and the facts a person needs:
 * what went wrong (`message`), where (`where`: a file, key, revision or database) and
 * how to fix it (`hint`). The CLI prints exactly these, with no stack trace.
 *
 * Exit codes follow the CLI contract: 1 when an operation failed or a check found
 * problems, 2 for invalid input (arguments, config, migration files).
 */
export abstract class StrataError extends Error {
  abstract readonly exitCode: 1 | 2
  readonly where: string | undefined
  readonly hint: string | undefined

  constructor(message: string, options: { where?: string; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.where = options.where
    this.hint = options.hint
  }
}

/** Bad command-line usage: unknown option, missing argument, invalid value. */
export class UsageError extends StrataError {
  readonly exitCode = 2
}

/** The configuration file cannot be loaded or does not validate. */
export class ConfigError extends StrataError {
  readonly exitCode = 2
}

/** A value the user supplied (a URL, a path, a port) is unusable. */
export class InvalidInputError extends StrataError {
  readonly exitCode = 2
}

/** Kinds of connection failure, each with its own message and remedy. */
export type ConnectionFailureKind =
  | 'host-not-found'
  | 'unreachable'
  | 'refused'
  | 'authentication'
  | 'database-missing'
  | 'tls'
  | 'server-too-old'
  | 'other'

/** The database could not be reached or used. */
export class ConnectionError extends StrataError {
  readonly exitCode = 1
  readonly kind: ConnectionFailureKind

  constructor(
    kind: ConnectionFailureKind,
    message: string,
    options: { where?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, options)
    this.kind = kind
  }
}

/** The embedded development server could not be started, stopped or inspected. */
export class EmbeddedServerError extends StrataError {
  readonly exitCode: 1 | 2

  constructor(
    message: string,
    options: { where?: string; hint?: string; cause?: unknown; exitCode?: 1 | 2 } = {},
  ) {
    super(message, options)
    this.exitCode = options.exitCode ?? 1
  }
}

/** The operation ran and failed (a migration, a check with findings, a backup). */
export class OperationFailedError extends StrataError {
  readonly exitCode = 1
}

/** A migration file is unusable: syntax, missing exports, bad references, cycles. */
export class InvalidMigrationError extends StrataError {
  readonly exitCode = 2
}

/** A revision named on the command line or in the database does not exist. */
export class RevisionNotFoundError extends StrataError {
  readonly exitCode = 2
}

/** A target that could mean several things (a short prefix, a move across a branch point). */
export class AmbiguousTargetError extends StrataError {
  readonly exitCode = 2
  readonly choices: readonly string[]

  constructor(message: string, choices: readonly string[], options: { where?: string; hint?: string } = {}) {
    super(message, options)
    this.choices = choices
  }
}

/** `upgrade head` while the scripts have several heads (the guide's "Version Conflicts"). */
export class MultipleHeadsError extends StrataError {
  readonly exitCode = 2
  readonly heads: readonly string[]

  constructor(message: string, heads: readonly string[], options: { hint?: string } = {}) {
    super(message, options)
    this.heads = heads
  }
}

/** Another migrator held the advisory lock for longer than the configured wait. */
export class LockTimeoutError extends StrataError {
  readonly exitCode = 1
}

/**
 * A migration failed while running; the database is as the message describes. Exit
 * code 2 when the migration file itself is invalid (it calls the op API with a method
 * or option it lacks), 1 otherwise.
 */
export class MigrationFailedError extends StrataError {
  readonly exitCode: 1 | 2
  readonly revision: string
  readonly sqlState: string | undefined
  /** Whether running the migration again from its start is safe (nothing of it was committed). */
  readonly retryable: boolean

  constructor(
    message: string,
    revision: string,
    sqlState: string | undefined,
    options: {
      where?: string
      hint?: string
      cause?: unknown
      retryable?: boolean
      invalidMigration?: boolean
    } = {},
  ) {
    super(message, options)
    this.exitCode = options.invalidMigration ? 2 : 1
    this.revision = revision
    this.sqlState = sqlState
    this.retryable = options.retryable ?? false
  }
}
