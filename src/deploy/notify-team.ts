import { lastLines } from '../backup/run-program.js'
import type { ResolvedConfig } from '../config/types.js'
import { maskSecrets } from '../util/mask-secrets.js'
import { runShellCommand } from '../util/run-shell-command.js'

/** What happened: a deploy began, ended well, or ended in a rollback; or a rollback by hand. */
export type DeployEvent =
  | 'started'
  | 'deployed'
  | 'backup-failed'
  | 'rolled-back'
  | 'rollback-failed'
  /** `strata tenants upgrade|downgrade` finished: every tenant done, or some failed or not started. */
  | 'fleet-done'
  | 'fleet-failed'

/** One announcement, as the webhook receives it (JSON) and the command its environment. */
export interface TeamNotice {
  readonly event: DeployEvent
  readonly action: 'deploy' | 'rollback' | 'tenants upgrade' | 'tenants downgrade'
  /** One line for people: the production log's, or what started. */
  readonly text: string
  /** `assistant on db1:5432`: no user, no password (for a fleet: how its tenants were found). */
  readonly database: string
  readonly operator: string
  readonly from: readonly string[]
  readonly to: readonly string[]
  readonly report?: string | undefined
}

const WEBHOOK_TIMEOUT_MS = 10_000
const COMMAND_TIMEOUT_MS = 30_000

/**
 * The guide's "Notify team" step: `deploy.notify.webhook` receives a JSON POST (Slack,
 * Mattermost and Discord show its `text` / `content`); `deploy.notify.command` runs
 * through the shell with the notice in `STRATA_*` variables and as JSON on stdin.
 * Best effort: a notification that fails is one warning line, never a failed deploy,
 * and the line names neither the webhook URL nor the command (either may hold a token).
 */
export async function notifyTeam(
  config: ResolvedConfig,
  notice: TeamNotice,
  onLine: (line: string) => void,
): Promise<void> {
  const { webhook, command } = config.deploy.notify
  const body = JSON.stringify({
    event: notice.event,
    action: notice.action,
    text: notice.text,
    database: notice.database,
    operator: notice.operator,
    from: notice.from,
    to: notice.to,
    ...(notice.report === undefined ? {} : { report: notice.report }),
    // Discord reads `content` where Slack and Mattermost read `text`.
    content: notice.text,
  })
  const sent: Promise<void>[] = []
  if (webhook !== undefined)
    sent.push(
      postWebhook(webhook, body).catch((error: unknown) =>
        onLine(`! team not notified by deploy.notify.webhook: ${maskSecrets(reasonOf(error))}`),
      ),
    )
  if (command !== undefined)
    sent.push(
      runNotifyCommand(command, notice, body, config.rootDir).catch((error: unknown) =>
        onLine(`! team not notified by deploy.notify.command: ${maskSecrets(reasonOf(error))}`),
      ),
    )
  await Promise.all(sent)
}

async function postWebhook(url: string, body: string): Promise<void> {
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    })
  } catch (error) {
    // fetch's own message can quote the URL; only the cause's code is kept.
    const cause = (error as { cause?: { code?: string } }).cause?.code
    const timedOut = (error as Error).name === 'TimeoutError'
    throw new Error(
      timedOut
        ? `no answer within ${WEBHOOK_TIMEOUT_MS / 1000}s`
        : `the request failed${cause ? ` (${cause})` : ''}`,
    )
  }
  await response.body?.cancel()
  if (!response.ok) throw new Error(`the webhook answered HTTP ${response.status}`)
}

async function runNotifyCommand(
  command: string,
  notice: TeamNotice,
  body: string,
  cwd: string,
): Promise<void> {
  const { code, signal, output } = await runShellCommand(command, {
    cwd,
    input: body,
    timeoutMs: COMMAND_TIMEOUT_MS,
    env: {
      ...process.env,
      STRATA_EVENT: notice.event,
      STRATA_ACTION: notice.action,
      STRATA_MESSAGE: notice.text,
      STRATA_DATABASE: notice.database,
      STRATA_OPERATOR: notice.operator,
      STRATA_FROM: notice.from.join(','),
      STRATA_TO: notice.to.join(','),
      STRATA_REPORT: notice.report ?? '',
    },
  })
  if (code === 0) return
  throw new Error(
    signal === 'SIGTERM'
      ? `still running after ${COMMAND_TIMEOUT_MS / 1000}s, stopped`
      : `exit ${code}${output.trim() ? `: ${lastLines(output)}` : ''}`,
  )
}

/** A production log line as a notice's text: its timestamp is the message's own time. */
export function withoutTimestamp(logLine: string): string {
  return maskSecrets(logLine.replace(/^\[[^\]]*\] /, ''))
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
