const notes = new Set<{ readonly text: string }>()

/**
 * Registers what to tell the user if a signal ends the process at once (Ctrl-C while no
 * migration or program runs, or a second Ctrl-C), when the command's own failure path,
 * which would say it, never runs: a restore's partial copy and how to drop it, or that
 * its swap is done. The returned function takes the note back.
 */
export function sayOnAbruptExit(text: string): () => void {
  const note = { text }
  notes.add(note)
  return () => {
    notes.delete(note)
  }
}

/** The notes registered now, oldest first. */
export function abruptExitNotes(): string[] {
  return [...notes].map((note) => note.text)
}
