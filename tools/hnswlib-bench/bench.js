// hnswlib on the exact data Lakehouse.Bench wrote: build one-threaded, then recall@10 and
// single-thread queries/s per ef. Input (little-endian): int32 count, dim, queries, k; float32
// data[count*dim]; float32 queries[queries*dim]; int32 truth[queries*k]. Prints one JSON object.
'use strict';
const fs = require('fs');
const { HierarchicalNSW } = require('hnswlib-node');

const buffer = fs.readFileSync(process.argv[2]);
const header = new Int32Array(buffer.buffer, buffer.byteOffset, 4);
const [count, dim, queryCount, k] = header;
let offset = buffer.byteOffset + 16;
const data = new Float32Array(buffer.buffer, offset, count * dim);
offset += count * dim * 4;
const queries = new Float32Array(buffer.buffer, offset, queryCount * dim);
offset += queryCount * dim * 4;
const truth = new Int32Array(buffer.buffer, offset, queryCount * k);

const index = new HierarchicalNSW('l2', dim);
index.initIndex(count, 16, 200, 100);
let start = process.hrtime.bigint();
for (let i = 0; i < count; i++) index.addPoint(Array.from(data.subarray(i * dim, (i + 1) * dim)), i);
const buildSeconds = Number(process.hrtime.bigint() - start) / 1e9;

const queryArrays = [];
for (let q = 0; q < queryCount; q++) queryArrays.push(Array.from(queries.subarray(q * dim, (q + 1) * dim)));
const results = {};
for (const ef of [10, 16, 20, 24, 32, 40, 48, 64, 80, 100, 128, 160, 200]) {
  index.setEf(ef);
  let hits = 0;
  for (let q = 0; q < queryCount; q++) {
    const expected = new Set(truth.subarray(q * k, (q + 1) * k));
    for (const n of index.searchKnn(queryArrays[q], k).neighbors) if (expected.has(n)) hits++;
  }
  let rounds = 0;
  start = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - start) / 1e9 < 1) {
    for (let q = 0; q < queryCount; q++) index.searchKnn(queryArrays[q], k);
    rounds++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  results[ef] = { recall: hits / (queryCount * k), qps: rounds * queryCount / seconds };
}
console.log(JSON.stringify({ build_vectors_per_s: count / buildSeconds, by_ef: results }));
