// Patches icebird 0.3.1 where it fails on valid Iceberg metadata: its deflate decoder for Avro blocks
// (hyparquet-compressors' gunzip) overflowed the stack on some valid blocks, so Node's own zlib
// inflates them (Avro's deflate codec is raw RFC 1951 deflate). Every patch must apply or already be
// applied; anything else fails the install loudly.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(fileURLToPath(import.meta.url))

function patch(file, description, from, to) {
  const full = path.join(root, 'node_modules', file)
  const text = fs.readFileSync(full, 'utf8')
  if (text.includes(to) && !text.includes(from)) return
  if (!text.includes(from)) throw new Error(`icebird patch "${description}": pattern not found in ${file}`)
  fs.writeFileSync(full, text.split(from).join(to))
}

patch('icebird/src/avro/avro.read.js', 'zlib for deflate blocks',
  "import { gunzip } from 'hyparquet-compressors'",
  "import { inflateRawSync } from 'node:zlib'")
patch('icebird/src/avro/avro.read.js', 'zlib for deflate blocks',
  '      data = gunzip(data)',
  '      data = new Uint8Array(inflateRawSync(data))')
