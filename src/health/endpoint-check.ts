import type { ResolvedConfig } from '../config/types.js'
import { formatDuration } from '../util/duration.js'
import type { CheckOutcome } from './check-result.js'

export type HealthEndpoint = ResolvedConfig['health']['urls'][number]

/**
 * One application health URL: the status must be `expectStatus` (default any 2xx)
 * within the endpoint's timeout. Redirects are not followed: a health endpoint that
 * redirects (to a login page, say) is not answering for itself.
 */
export async function checkEndpoint(endpoint: HealthEndpoint): Promise<CheckOutcome> {
  const started = performance.now()
  let response: Response
  try {
    response = await fetch(endpoint.url, {
      signal: AbortSignal.timeout(endpoint.timeout),
      redirect: 'manual',
    })
    await response.body?.cancel()
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    const name = (error as Error).name
    const reason =
      name === 'TimeoutError'
        ? `no answer within ${formatDuration(endpoint.timeout)}`
        : cause?.code === 'ECONNREFUSED'
          ? 'connection refused: is the application running?'
          : cause?.code === 'ENOTFOUND'
            ? 'host not found'
            : (cause?.code ?? cause?.message ?? (error as Error).message)
    return { status: 'fail', summary: reason }
  }
  const latency = Math.round(performance.now() - started)
  const healthy =
    endpoint.expectStatus === undefined
      ? response.status >= 200 && response.status < 300
      : response.status === endpoint.expectStatus
  const summary = `HTTP ${response.status} in ${latency} ms`
  if (healthy) return { status: 'ok', summary }
  return {
    status: 'fail',
    summary: `${summary}, expected ${endpoint.expectStatus ?? '2xx'}`,
  }
}
