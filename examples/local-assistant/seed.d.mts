import type pg from 'pg'

/** Seeds release 1 of the assistant: users (about 1% duplicate emails) and their sessions. */
export function seed(
  clientConfig: pg.ClientConfig,
  options?: { users?: number; sessionsPerUser?: number },
): Promise<{ users: number; duplicates: number; sessions: number }>
