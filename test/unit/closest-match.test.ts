import assert from 'node:assert/strict'
import { test } from 'node:test'
import { closestMatch, didYouMean, editDistance } from '../../src/util/closest-match.js'

test('edit distance counts insertions, deletions and substitutions', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3)
  assert.equal(editDistance('', 'abc'), 3)
  assert.equal(editDistance('same', 'same'), 0)
})

test('the closest candidate is suggested for a typo', () => {
  assert.equal(closestMatch('databse', ['databases', 'default', 'dev']), 'databases')
  assert.equal(closestMatch('migratons', ['migrations', 'connection']), 'migrations')
})

test('nothing is suggested when no candidate is plausibly meant', () => {
  assert.equal(closestMatch('zzzzzz', ['databases', 'dev']), undefined)
  assert.equal(didYouMean('zzzzzz', ['databases']), '')
  assert.equal(didYouMean('prot', ['port']), ' Did you mean "port"?')
})

test('a longer spelling that begins like one candidate suggests it', () => {
  const commands = [
    'blocking',
    'locks',
    'activity',
    'sizes',
    'indexes',
    'slow',
    'replication',
    'all',
    'terminate',
  ]
  assert.equal(closestMatch('slow-queries', commands), 'slow')
  assert.equal(closestMatch('index-usage', commands), 'indexes')
  assert.equal(closestMatch('table-sizes', commands), undefined, 'its first word begins none')
})
