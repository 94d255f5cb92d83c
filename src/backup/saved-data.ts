/**
 * The schema where an upgrade or downgrade keeps copies of the tables it destroys when no pg_dump on
 * this machine can back the server up (the embedded development server, a server newer
 * than the client programs). Strata's own: verify, the diagnose topics and tenant discovery
 * leave it out; `diagnose sizes` lists it (the copies take disk).
 */
export const SAVED_SCHEMA = 'strata_saved'

/** "; the data it destroyed is kept in backup ID", ending an upgrade's or downgrade's summary line. */
export function keptAfterRun(id: string): string {
  return `; the data it destroyed is kept in ${describeSavedData(id)}`
}

/** Where data saved before a downgrade is, for people: a catalog backup or copies on the server. */
export function describeSavedData(id: string): string {
  return id.startsWith(`${SAVED_SCHEMA}.`) ? `${id} (copied on the server)` : `backup ${id}`
}
