export type { ServerBinaries } from './binaries.js'
export {
  embeddedBinariesFor,
  embeddedPackageFor,
  locateServerBinaries,
  noEmbeddedServer,
} from './binaries.js'
export type { ClusterLocation, ClusterStatus } from './cluster.js'
export {
  dataDirMajor,
  initCluster,
  isInitialized,
  readClusterStatus,
  SERVER_LOG_FILE,
  SUPERUSER,
  startCluster,
  stopCluster,
  writeClusterSettings,
} from './cluster.js'
export { findFreePort, isPortInUse } from './port.js'
export type { ServerUser } from './server-user.js'
export { canServerUserWrite, serverUser } from './server-user.js'
