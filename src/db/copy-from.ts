import type pg from 'pg'

// node-postgres runs COPY ... FROM STDIN only through a query object that answers the
// server's CopyInResponse (pg-copy-streams is one). The rows of a migration are text in
// memory, so this is the small version of that: send them, end the copy, report.

/** Bytes per CopyData message: the protocol has no limit that matters here; 64 kB keeps each write small. */
const CHUNK = 64 * 1024

/**
 * Runs `sql` (a `COPY ... FROM STDIN`) with `data` as what psql would send after it: the
 * rows, in the format the statement names (text by default, or CSV), without the `\.`.
 * Resolves with the rows loaded; a row PostgreSQL refuses rejects with its error (the
 * whole COPY is then undone, as any failed statement).
 *
 * @example await copyFrom(client, 'COPY countries (code, name) FROM STDIN', 'de\tGermany\nfr\tFrance\n')
 */
export function copyFrom(client: pg.ClientBase, sql: string, data: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const copy = new CopyFromText(sql, data, (error, rows) => (error ? reject(error) : resolve(rows)))
    client.query(copy as unknown as pg.QueryConfig)
  })
}

/** The query object node-postgres drives: it calls these as the server's messages arrive. */
class CopyFromText {
  #rows = 0
  #done = false

  constructor(
    readonly text: string,
    private readonly data: string,
    private readonly finish: (error: unknown, rows: number) => void,
  ) {}

  submit(connection: CopyConnection): void {
    connection.query(this.text)
  }

  handleCopyInResponse(connection: CopyConnection): void {
    const bytes = Buffer.from(this.data)
    for (let offset = 0; offset < bytes.length; offset += CHUNK)
      connection.sendCopyFromChunk(bytes.subarray(offset, offset + CHUNK))
    connection.endCopyFrom()
  }

  handleCommandComplete(message: { text?: string }): void {
    this.#rows = Number(/^COPY (\d+)/.exec(message.text ?? '')?.[1] ?? 0)
  }

  // node-postgres clears the active query on an error (the ReadyForQuery that follows
  // does not reach it) and on a lost connection: the error is the end.
  handleError(error: unknown): void {
    if (this.#done) return
    this.#done = true
    this.finish(error, 0)
  }

  handleReadyForQuery(): void {
    if (this.#done) return
    this.#done = true
    this.finish(undefined, this.#rows)
  }

  // Messages a COPY FROM does not get; node-postgres may still call them on the active query.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** The part of node-postgres' Connection a COPY FROM uses (pg-copy-streams uses the same). */
interface CopyConnection {
  query(text: string): void
  sendCopyFromChunk(chunk: Buffer): void
  endCopyFrom(): void
}
