// Writes examples/sample/synthetic-events.jsonl: signed NIP-34 events that complete the real
// fixtures into a sample with several repositories, relays, root events and an announcement
// update. Keys are derived from fixed labels, so ids are stable; run it again only to change the
// sample (`node scripts/make-sample.mjs`).
import { writeFileSync } from 'node:fs'
import { sha256 } from '@noble/hashes/sha2.js'
import { finalizeEvent, getPublicKey } from 'nostr-tools/pure'
import { npubEncode } from 'nostr-tools/nip19'

const key = (label) => sha256(new TextEncoder().encode(`nip34-sync sample ${label}`))
const alice = key('alice')
const bob = key('bob')
const carol = key('carol')
const real = 'bbb5dda0e15567979f0543407bdc2033d6f0bbb30f72512a981cfdb2f09e2747' // author of the real fixtures

const sign = (sk, kind, created_at, tags, content = '') => finalizeEvent({ kind, created_at, tags, content }, sk)
const repoOf = (sk, d) => `30617:${getPublicKey(sk)}:${d}`
const clone = (sk, d, host = 'relay.ngit.dev') => `https://${host}/${npubEncode(getPublicKey(sk))}/${d}.git`

const batch1 = [
  // Alice's repository lists our server (relay.ngit.dev) in both relays and clone.
  sign(alice, 30617, 1764000000, [
    ['d', 'hello-grasp'],
    ['name', 'hello-grasp'],
    ['clone', clone(alice, 'hello-grasp'), 'https://github.com/alice/hello-grasp.git'],
    ['relays', 'wss://relay.ngit.dev', 'wss://nos.lol/', 'WSS://Relay.Damus.io', 'wss://alice-relay.example.com'],
    ['maintainers', getPublicKey(alice)]
  ]),
  // Bob's repository, with a d identifier that contains a colon, lists us too.
  sign(bob, 30617, 1764000100, [
    ['d', 'tools:cli'],
    ['clone', clone(bob, 'tools:cli')],
    ['relays', 'wss://relay.ngit.dev'],
    ['relays', 'wss://bob.example.net:4443/', 'wss://nos.lol']
  ]),
  // Carol's repository does not list us: it is not synced in 'listed' mode.
  sign(carol, 30617, 1764000200, [
    ['d', 'elsewhere'],
    ['clone', 'https://github.com/carol/elsewhere.git'],
    ['relays', 'wss://relay.damus.io']
  ]),
  // Root events: patches, a pull request and issues, tagging one or two repositories.
  sign(bob, 1617, 1764001000, [['a', repoOf(alice, 'hello-grasp')], ['t', 'root']], 'From 0000 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] fix typo'),
  sign(carol, 1621, 1764001100, [['a', repoOf(alice, 'hello-grasp')], ['subject', 'build fails on arm64']], 'It fails.'),
  sign(alice, 1618, 1764001200, [['a', repoOf(bob, 'tools:cli')], ['c', 'a'.repeat(40)], ['subject', 'add --json']], 'Adds a flag.'),
  sign(alice, 1621, 1764001300, [['a', `30617:${real}:loom-worker`], ['subject', 'docs: worker setup']], 'How do I run it?')
]

const batch2 = [
  // Alice updates her announcement: drops nos.lol and her own relay, adds a new relay.
  sign(alice, 30617, 1764100000, [
    ['d', 'hello-grasp'],
    ['name', 'hello-grasp'],
    ['clone', clone(alice, 'hello-grasp')],
    ['relays', 'wss://relay.ngit.dev', 'wss://relay.damus.io', 'wss://git.alice.example']
  ]),
  // A late issue for Bob's repository, and a patch tagging two repositories.
  sign(carol, 1621, 1764100100, [['a', repoOf(bob, 'tools:cli')], ['subject', 'crash on empty repo']], 'Steps…'),
  sign(bob, 1617, 1764100200, [['a', repoOf(alice, 'hello-grasp')], ['a', repoOf(bob, 'tools:cli')], ['t', 'root']], 'shared patch')
]

const lines = [...batch1.map((e) => JSON.stringify({ batch: 1, event: e })), ...batch2.map((e) => JSON.stringify({ batch: 2, event: e }))]
writeFileSync(new URL('../examples/sample/synthetic-events.jsonl', import.meta.url), lines.join('\n') + '\n')
console.log(`wrote ${lines.length} events`)
