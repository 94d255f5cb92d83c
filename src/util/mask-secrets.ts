/**
 * Removes passwords from any text before it is printed or logged: URL credentials
 * (`postgresql://user:secret@host` → `postgresql://user:***@host`), libpq keyword
 * strings (`password=secret`) and `PGPASSWORD=secret` assignments.
 */
export function maskSecrets(text: string): string {
  return text
    .replace(
      /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):([^@\s/]*)@/gi,
      (_match, prefix: string) => `${prefix}:***@`,
    )
    .replace(
      /\b(password|PGPASSWORD)\s*=\s*('[^']*'|"[^"]*"|[^\s&]+)/gi,
      (_match, key: string) => `${key}=***`,
    )
}
