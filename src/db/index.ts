export type { Connection } from './connect.js'
export { connect, toClientConfig, withConnection } from './connect.js'
export { describeConnectionFailure, MINIMUM_SERVER_VERSION } from './connection-errors.js'
export type { ConnectionSpec } from './connection-spec.js'
export {
  isLocalHost,
  maskedUrl,
  parseConnectionString,
  specFromEnv,
  specFromFields,
  withDatabase,
} from './connection-spec.js'
export { openTarget } from './open-target.js'
export { quoteIdent, quoteLiteral, quoteQualified } from './quote.js'
export type { DatabaseTarget, TargetSelection, TargetSource } from './resolve-target.js'
export { namedDatabaseSpec, resolveTarget } from './resolve-target.js'
