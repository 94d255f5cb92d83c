import { spawnSync } from 'node:child_process'

export interface CommandSpec {
  readonly command: string
  readonly args: readonly string[]
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
}

/** Runs a command once and returns its wall time in seconds; a failure stops the benchmark. */
export function timeCommand(spec: CommandSpec): number {
  const started = process.hrtime.bigint()
  const result = spawnSync(spec.command, spec.args as string[], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (result.status !== 0) {
    throw new Error(
      `${spec.command} ${spec.args.join(' ')} failed (${result.status}):\n${(result.stderr || result.stdout).slice(-2000)}`,
    )
  }
  return seconds
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Median of `runs` timings, each after `prepare` (e.g. a fresh database). */
export async function timeRuns(
  runs: number,
  prepare: (run: number) => Promise<CommandSpec>,
): Promise<number[]> {
  const times: number[] = []
  for (let run = 0; run < runs; run++) times.push(timeCommand(await prepare(run)))
  return times
}
