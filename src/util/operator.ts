import { hostname, userInfo } from 'node:os'

// The process's user and host do not change while it runs: looked up once, not per step.
let userAtHost: string | undefined

/**
 * Who is deploying, for the production log and the rollback report: `STRATA_OPERATOR`
 * when set (CI names the person who pressed the button), otherwise `user@host`.
 */
export function operatorName(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.STRATA_OPERATOR?.trim()
  if (named) return named
  userAtHost ??= `${currentUser()}@${hostname()}`
  return userAtHost
}

function currentUser(): string {
  try {
    return userInfo().username
  } catch {
    // No passwd entry (some containers): the host still says where it ran.
    return 'unknown'
  }
}
