import { readFileSync } from 'node:fs'

/** Strata's own version, from package.json (recorded in history rows and manifests). */
export const STRATA_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version
