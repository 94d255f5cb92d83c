// Node 21 and later define `globalThis.navigator` ({ userAgent: 'Node.js/21' }); Node 20
// does not, and node-postgres then probes for Cloudflare Workers by constructing a
// fetch Response, which loads Node's bundled undici: about 12 ms of every command's
// start-up. Defining the same object Node 21 defines removes that cost and changes
// nothing for libraries, which already run on Node versions that have it.
if (typeof (globalThis as { navigator?: unknown }).navigator === 'undefined') {
  Object.defineProperty(globalThis, 'navigator', {
    value: Object.freeze({ userAgent: `Node.js/${process.versions.node.split('.')[0]}` }),
    configurable: true,
    writable: false,
    enumerable: false,
  })
}
