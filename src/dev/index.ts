export { findClientProgram } from '../backup/client-programs.js'
export { devPsql } from './dev-psql.js'
export type { DevServerStatus, DevStartResult } from './dev-server.js'
export { DEV_HOST, devConnectionSpec, devStart, devStatus, devStop, ensureDevServer } from './dev-server.js'
