// Entry of dist/strata-cli.cjs, the CLI bundled into one CommonJS file by
// scripts/bundle-cli.mjs and run by dist/strata.cjs (launcher.ts). Node loads one file
// several times faster than the ~150 ES modules tsc emits (about 0.1 s of every command
// on two cores). Modules a command imports on demand are initialised on demand inside
// the bundle too.
import { runCli } from './run-cli.js'

void runCli(process.argv)
