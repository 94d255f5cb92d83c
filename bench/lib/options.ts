/** `--name VALUE` from the benchmark's command line, or `fallback` when absent. */
export function option(name: string, fallback: string): string {
  const args = process.argv.slice(2)
  const index = args.indexOf(`--${name}`)
  return index === -1 ? fallback : args[index + 1]!
}

/** A numeric `--name N`, or `fallback`. */
export function numberOption(name: string, fallback: number): number {
  return Number(option(name, String(fallback)))
}

/** Whether the flag `--name` was given. */
export function flag(name: string): boolean {
  return process.argv.slice(2).includes(`--${name}`)
}
