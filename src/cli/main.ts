#!/usr/bin/env node
// The CLI as ES modules, straight from tsc's output. The `strata` executable users run
// is dist/strata.cjs, the same code bundled into one file (see executable.ts).
import { runCli } from './run-cli.js'

await runCli(process.argv)
