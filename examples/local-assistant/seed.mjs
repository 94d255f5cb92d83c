// Seeds the assistant database with a realistic volume of data for release 1: 20,000
// users (about 1% signed up twice with the same email, 5% without a name) and 60,000
// sessions over the last 30 days. Runs inside the server (generate_series), so it takes
// a second or two. Usage: node examples/local-assistant/seed.mjs [users] (after release 1).
import pg from 'pg'

const FIRST = [
  'Ana',
  'Ben',
  'Chloé',
  'Dmitri',
  'Eva',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemi',
  'Lars',
]
const LAST = [
  'Silva',
  'Novak',
  'Okafor',
  'Tanaka',
  'Müller',
  'Haddad',
  'Kowalski',
  'Lindqvist',
  'Moreau',
  'Patel',
]

/**
 * @param {pg.ClientConfig} clientConfig
 * @param {{ users?: number, sessionsPerUser?: number }} [options]
 * @returns {Promise<{ users: number, duplicates: number, sessions: number }>}
 */
export async function seed(clientConfig, options = {}) {
  const users = options.users ?? 20_000
  const sessions = Math.round(users * (options.sessionsPerUser ?? 3))
  const client = new pg.Client(clientConfig)
  await client.connect()
  try {
    await client.query('BEGIN')
    await client.query(
      `INSERT INTO users (email, name, created_at)
       SELECT 'user' || n || '@example.com',
              CASE WHEN n % 20 = 0 THEN NULL
                   ELSE ($2::text[])[1 + n % array_length($2, 1)] || ' ' || ($3::text[])[1 + (n / 7) % array_length($3, 1)] END,
              now() - (n % 365) * interval '1 day'
         FROM generate_series(1, $1::int) AS n`,
      [users, FIRST, LAST],
    )
    // The old sign-up form's duplicates: the same address registered again later.
    const duplicates = await client.query(
      `INSERT INTO users (email, name, created_at)
       SELECT email, name, created_at + interval '3 days' FROM users WHERE id % 100 = 7`,
    )
    await client.query(
      `INSERT INTO user_sessions (user_id, token, created_at, expires_at)
       SELECT u.id, md5(random()::text || n), t, t + interval '7 days'
         FROM generate_series(1, $1::int) AS n
         CROSS JOIN LATERAL (SELECT now() - random() * interval '30 days' AS t) AS times
         JOIN users u ON u.id = 1 + (n::bigint * 7919) % (SELECT max(id) FROM users)`,
      [sessions],
    )
    await client.query('COMMIT')
    await client.query('ANALYZE users, user_sessions')
    const counts = await client.query(
      'SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM user_sessions)::int AS sessions',
    )
    return {
      users: counts.rows[0].users,
      duplicates: duplicates.rowCount ?? 0,
      sessions: counts.rows[0].sessions,
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  } finally {
    await client.end()
  }
}
