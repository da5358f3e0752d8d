/**
 * The bench's baseline for uploads: the least a Node server must do to accept a GraphQL multipart upload, i.e. parse
 * the multipart body with busboy (the parser graphql-upload-minimal uses) and stream the file part to disk. No
 * GraphQL, no hashing, no database. Started by bench/files.ts as its own process; PORT and UPLOAD_DIR from the
 * environment.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';

const dir = process.env.UPLOAD_DIR!;
mkdirSync(dir, { recursive: true });

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.end('ok');
    return;
  }
  const fail = (error: unknown) => {
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(error));
  };
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { fields: 2, files: 1 } });
  } catch (error) {
    fail(error);
    return;
  }
  const writes: Promise<number>[] = [];
  parser.on('field', () => {});
  parser.on('file', (_name, stream) => {
    const out = createWriteStream(join(dir, randomUUID()));
    writes.push(pipeline(stream, out).then(() => out.bytesWritten));
  });
  parser.on('error', fail);
  parser.on('close', () => {
    Promise.all(writes).then(
      (sizes) => {
        // the shape of the real server's answer, so the bench reads both the same way
        const file = { uuid: randomUUID(), size: sizes[0] ?? 0 };
        const body = JSON.stringify({ data: { uploadFile: { __typename: 'MutationUploadFileSuccess', data: { duplicate: false, file } } } });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      },
      fail,
    );
  });
  req.pipe(parser);
});

server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
