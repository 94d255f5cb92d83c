import { ConfigError } from '../errors/index.js'

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/**
 * Replaces `${NAME}` and `${NAME:-fallback}` with environment variables. A variable
 * that is not set and has no fallback is an error naming it and the key that uses it.
 *
 * @example interpolateEnv('${PRIMARY_DB_URL}', { PRIMARY_DB_URL: 'postgresql://…' }, 'databases.primary', file)
 */
export function interpolateEnv(
  text: string,
  env: NodeJS.ProcessEnv,
  keyPath: string,
  file: string | undefined,
): string {
  return text.replace(reference, (_match, name: string, fallback: string | undefined) => {
    const value = env[name]
    if (value !== undefined && value !== '') return value
    if (fallback !== undefined) return fallback
    throw new ConfigError(`environment variable ${name} is not set (used by ${keyPath})`, {
      where: file,
      hint: `export ${name}=... before running strata, or write \${${name}:-default} in the config`,
    })
  })
}

/** Interpolates every string inside `value`, keeping its shape. */
export function interpolateDeep<T>(
  value: T,
  env: NodeJS.ProcessEnv,
  keyPath: string,
  file: string | undefined,
): T {
  if (typeof value === 'string') return interpolateEnv(value, env, keyPath, file) as T
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolateDeep(item, env, `${keyPath}[${index}]`, file)) as T
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolateDeep(item, env, keyPath ? `${keyPath}.${key}` : key, file),
      ]),
    ) as T
  }
  return value
}
