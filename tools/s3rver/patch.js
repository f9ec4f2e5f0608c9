// Patches s3rver 3.7.1 where it breaks with the Minio .NET SDK (shared/FACTS.md lists the five).
// Every patch must apply or already be applied; anything else fails the install loudly.
'use strict';
const fs = require('fs');
const path = require('path');

const lib = path.join(__dirname, 'node_modules', 's3rver', 'lib');

function patch(file, description, from, to) {
  const full = path.join(lib, file);
  const text = fs.readFileSync(full, 'utf8');
  if (text.includes(to) && !text.includes(from)) return;
  if (!text.includes(from)) throw new Error(`s3rver patch "${description}": pattern not found in ${file}`);
  fs.writeFileSync(full, text.split(from).join(to));
}

// 1. The S3 XML namespace is http://s3.amazonaws.com/doc/2006-03-01/; with the wrong one every list is empty.
for (const file of ['controllers/bucket.js', 'controllers/object.js', 'controllers/service.js']) {
  patch(file, 'xml namespace', 'http://doc.s3.amazonaws.com/2006-03-01/', 'http://s3.amazonaws.com/doc/2006-03-01/');
}

// 2. x-amz-copy-source is URI-component encoded.
patch('controllers/object.js', 'copy source decoding',
  "decodeURI(ctx.headers['x-amz-copy-source'])",
  "decodeURIComponent(ctx.headers['x-amz-copy-source'])");

// 3. Concurrent deletes race in the empty-folder clean-up: a folder that vanished or filled is fine.
patch('stores/filesystem.js', 'tolerant folder clean-up',
  `    while (
      parts.length &&
      !fs.readdirSync(path.join(bucketPath, ...parts)).length
    ) {
      await fs.rmdir(path.join(bucketPath, ...parts));
      parts.pop();
    }`,
  `    try {
      while (
        parts.length &&
        !fs.readdirSync(path.join(bucketPath, ...parts)).length
      ) {
        await fs.rmdir(path.join(bucketPath, ...parts));
        parts.pop();
      }
    } catch (err) {
      if (err.code !== 'ENOENT' && err.code !== 'ENOTEMPTY') throw err;
    }`);

// 4. Honour encoding-type=url in listings: the SDK always asks for it and url-decodes what comes back.
patch('controllers/bucket.js', 'url-encoded listing keys',
  `        Contents: result.objects.map(object => ({
          Key: object.key,`,
  `        EncodingType: options.encodingType === 'url' ? 'url' : undefined,
        Contents: result.objects.map(object => ({
          Key: options.encodingType === 'url' ? encodeURIComponent(object.key) : object.key,`);

// 5. A bucket HEAD must not run the list handler (it reads up to 1000 objects on every Stat).
patch('routes.js', 'cheap bucket HEAD',
  `      case undefined:
        return bucketCtrl.getBucket(ctx);`,
  `      case undefined:
        if (ctx.method === 'HEAD') {
          ctx.status = 200;
          return undefined;
        }
        return bucketCtrl.getBucket(ctx);`);
