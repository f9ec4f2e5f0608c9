// Patches s3rver 3.7.1 where it breaks with the Minio .NET SDK (docs/dependencies.md lists them all).
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

// 3. A delete removes the folders it leaves empty, racing every other request on them: a concurrent
//    delete found the folder gone or refilled (a 500), and a PUT that had just made the folder crashed
//    the server opening its file in it (seen with a vector delta written while a fold deleted the last
//    one). S3 has no folders: empty ones are left in place.
patch('stores/filesystem.js', 'no empty-folder clean-up',
  `    while (
      parts.length &&
      !fs.readdirSync(path.join(bucketPath, ...parts)).length
    ) {
      await fs.rmdir(path.join(bucketPath, ...parts));
      parts.pop();
    }`,
  `    // (patched: empty folders are left in place)`);

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

// 6. List in UTF-8 byte order, as S3 does: its directory walk yields "a/x" before "a-c" and compares
//    keys as UTF-16, so pages came out of order. Sort the walked keys; the start-after folder pruning
//    used the same wrong order, so it goes (a test server's buckets are small).
patch('stores/filesystem.js', 'byte-ordered listing (prune)',
  `      if (dirPath < startAfterPath && startAfterPath.indexOf(dirPath) === -1) {
        return false;
      }`,
  `      // (patched: no start-after pruning; keys are sorted below)`);
patch('stores/filesystem.js', 'byte-ordered listing (sort)',
  `    for (const keyPath of it) {`,
  `    const keyOf = p => FilesystemStore.decodeKeyPath(p.slice(bucketPath.length + 1, -objectSuffix.length));
    const sorted = [...it].filter(p => p.endsWith(objectSuffix))
      .sort((a, b) => Buffer.compare(Buffer.from(keyOf(a)), Buffer.from(keyOf(b))));
    for (const keyPath of sorted) {`);
patch('stores/filesystem.js', 'byte-ordered listing (start-after)',
  `      if (key <= startAfter || !key.startsWith(prefix)) {`,
  `      if (Buffer.compare(Buffer.from(key), Buffer.from(startAfter)) <= 0 || !key.startsWith(prefix)) {`);

// 7. A listing walks the bucket's folders while deletes remove them (a vector fold deletes the deltas
//    it holds while batches list and write): a file or folder gone mid-walk is skipped, not a 500.
patch('utils.js', 'walk tolerates concurrent deletes',
  `  for (const filename of fs.readdirSync(dir)) {
    const filePath = path.posix.join(dir, filename);
    const stats = fs.statSync(filePath);`,
  `  let names;
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return;
    throw err;
  }
  for (const filename of names) {
    const filePath = path.posix.join(dir, filename);
    let stats;
    try {
      stats = fs.statSync(filePath);
    } catch (err) {
      if (err.code === 'ENOENT') continue;
      throw err;
    }`);

// 8. A PUT wrote the object in place as its body arrived, and listened for errors on the wrong stream:
//    a client that died mid-upload (a SIGKILLed host writing a vector snapshot) left the old object
//    torn and the request hanging, and a GET racing an overwrite could read half of each. S3 replaces
//    an object whole or not at all: the body goes to a temporary file (no object to listings: its name
//    lacks the object suffix) that is renamed into place once complete; an error or premature close of
//    any stream fails the PUT.
patch('stores/filesystem.js', 'atomic object replacement (imports)',
  `const { Transform } = require('stream');`,
  `const { Readable, Transform } = require('stream');
const { pipeline } = require('stream/promises');`);
patch('stores/filesystem.js', 'atomic object replacement',
  `    const [size, md5] = await new Promise((resolve, reject) => {
      const writeStream = fs.createWriteStream(objectPath);
      const md5Context = crypto.createHash('md5');

      if (Buffer.isBuffer(object.content)) {
        writeStream.end(object.content);
        md5Context.update(object.content);
        resolve([object.content.length, md5Context.digest('hex')]);
      } else {
        let totalLength = 0;
        object.content
          .pipe(
            new Transform({
              transform(chunk, encoding, callback) {
                md5Context.update(chunk, encoding);
                totalLength += chunk.length;
                callback(null, chunk);
              },
            }),
          )
          .on('error', reject)
          .on('finish', () => resolve([totalLength, md5Context.digest('hex')]))
          .pipe(writeStream);
      }
    });
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size, md5 };`,
  `    // Beside the object, under a short name: the object's own name may already be as long as a file name can be.
    const partPath = path.join(path.dirname(objectPath), \`.part-\${crypto.randomBytes(6).toString('hex')}\`);
    try {
      const md5Context = crypto.createHash('md5');
      let size = 0;
      await pipeline(
        Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content,
        new Transform({
          transform(chunk, encoding, callback) {
            md5Context.update(chunk, encoding);
            size += chunk.length;
            callback(null, chunk);
          },
        }),
        fs.createWriteStream(partPath),
      );
      const md5 = md5Context.digest('hex');
      await this.putMetadata(object.bucket, object.key, object.metadata, md5);
      await fs.rename(partPath, objectPath);
      return { size, md5 };
    } catch (err) {
      await fs.remove(partPath);
      throw err;
    }`);
