// Reads every table of an Iceberg REST catalog the way an outside engine would, with independent
// clients: iceberg-js lists namespaces and tables and loads each table's metadata; icebird reads the
// rows from the data files the metadata names. Prints one JSON document to stdout.
//   node read-tables.mjs <catalog uri> [bearer token]
import { readFile } from 'node:fs/promises'
import { IcebergRestCatalog } from 'iceberg-js'
import { icebergRead } from 'icebird'

const [baseUrl, token] = process.argv.slice(2)

// icebird fetches every location; file:// ones (our filesystem backend) are read from disk, ranges included.
const httpFetch = globalThis.fetch
globalThis.fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input.url
  if (!url.startsWith('file://')) return httpFetch(input, init)
  const bytes = await readFile(new URL(url))
  const headers = new Headers(init?.headers)
  if ((init?.method ?? 'GET') === 'HEAD') return new Response(null, { status: 200, headers: { 'content-length': String(bytes.length) } })
  const range = /bytes=(\d+)-(\d*)/.exec(headers.get('range') ?? '')
  if (!range) return new Response(bytes, { status: 200, headers: { 'content-length': String(bytes.length) } })
  const start = Number(range[1])
  const end = range[2] ? Number(range[2]) + 1 : bytes.length
  return new Response(bytes.subarray(start, end), { status: 206, headers: { 'content-length': String(end - start) } })
}

const catalog = new IcebergRestCatalog({ baseUrl, auth: token ? { type: 'bearer', token } : undefined })
const tables = {}
const { namespaces } = await catalog.listNamespaces()
for (const namespace of namespaces) {
  const { identifiers } = await catalog.listTables(namespace)
  for (const identifier of identifiers) {
    const metadata = await catalog.loadTable(identifier)
    const rows = await icebergRead({ tableUrl: metadata.location, metadata })
    // Time travel: every snapshot the metadata keeps, read as of that snapshot, by sequence number.
    const snapshots = {}
    for (const snapshot of metadata.snapshots) {
      const asOf = { ...metadata, 'current-snapshot-id': snapshot['snapshot-id'], 'current-schema-id': snapshot['schema-id'] }
      snapshots[snapshot['sequence-number']] = { operation: snapshot.summary.operation, rows: await icebergRead({ tableUrl: metadata.location, metadata: asOf }) }
    }
    tables[identifier.name] = { namespace, location: metadata.location, schema: metadata.schemas.find(s => s['schema-id'] === metadata['current-schema-id']), rows, snapshots }
  }
}
process.stdout.write(JSON.stringify({ namespaces, tables }, (_, value) =>
  typeof value === 'bigint' ? value.toString() : value instanceof Date ? value.toISOString() : value))
