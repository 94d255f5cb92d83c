import { spawn, spawnSync } from 'node:child_process'

export interface CommandSpec {
  readonly command: string
  readonly args: readonly string[]
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
  /** Exit codes that are results, not failures (a linter exits 1 when it finds problems). */
  readonly okCodes?: readonly number[]
}

/** Wall time and the command's own CPU time (user + system, children included), in seconds. */
export interface Timing {
  readonly wall: number
  readonly cpu: number
}

/**
 * Runs a command once under /usr/bin/time and returns its wall and CPU time; a
 * failure stops the benchmark. CPU time is what the tool itself costs, whatever the
 * machine or its disk is doing meanwhile.
 */
export function measureCommand(spec: CommandSpec): Timing {
  const started = process.hrtime.bigint()
  const result = spawnSync('/usr/bin/time', ['-f', 'STRATA_BENCH_CPU %U %S', spec.command, ...spec.args], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  const wall = Number(process.hrtime.bigint() - started) / 1e9
  if (!(spec.okCodes ?? [0]).includes(result.status ?? -1)) {
    throw new Error(
      `${spec.command} ${spec.args.join(' ')} failed (${result.status}):\n${(result.stderr || result.stdout).slice(-2000)}`,
    )
  }
  const cpu = /STRATA_BENCH_CPU ([\d.]+) ([\d.]+)/.exec(result.stderr)
  return { wall, cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : Number.NaN }
}

/** Runs a command once and returns its wall time in seconds. */
export function timeCommand(spec: CommandSpec): number {
  return measureCommand(spec).wall
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The value below which `fraction` of `sorted` (ascending) lies: p99 is `percentile(sorted, 0.99)`; 0 when empty. */
export function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0
}

/** Timings of `runs` runs, each after `prepare` (e.g. a fresh database). */
export async function timeRuns(
  runs: number,
  prepare: (run: number) => Promise<CommandSpec>,
): Promise<number[]> {
  const times: number[] = []
  for (let run = 0; run < runs; run++) times.push(timeCommand(await prepare(run)))
  return times
}

/**
 * Like `measureCommand`, without blocking this process: for benchmarks that run a
 * load generator in the same process while the command runs.
 */
export function measureCommandAsync(spec: CommandSpec): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn('/usr/bin/time', ['-f', 'STRATA_BENCH_CPU %U %S', spec.command, ...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
    })
    let stderr = ''
    child.stdout.resume()
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e9
      if (code !== 0)
        return reject(
          new Error(`${spec.command} ${spec.args.join(' ')} failed (${code}):\n${stderr.slice(-2000)}`),
        )
      const cpu = /STRATA_BENCH_CPU ([\d.]+) ([\d.]+)/.exec(stderr)
      resolve({ wall, cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : Number.NaN })
    })
  })
}
