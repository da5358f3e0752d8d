/**
 * The bench's floor for figure 2: the least a GraphQL upload server on this stack can do for one upload. The same
 * multipart handling as the server (graphql-yoga with useGraphQLUploads, graphql-upload-minimal), one hand-written
 * statement checking the session, the body hashed (SHA-256) while it streams to a temp file, the file renamed to its
 * content address, and one statement recording it (a file row, per-user dedup by ON CONFLICT). No bucket selection,
 * no instance or copy rows, no content-type detection, no locks, no ORM, no schema builder. Its answer has the
 * server's shape. PostgreSQL only (DATABASE_URL); PORT and UPLOAD_DIR from the environment.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createSchema, createYoga } from 'graphql-yoga';
import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import pg from 'pg';
import { useGraphQLUploads } from '../src/graphql/uploads.js';
import { serveReference, sessionUser } from './lib/reference.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const dir = process.env.UPLOAD_DIR!;
mkdirSync(join(dir, 'tmp'), { recursive: true });
mkdirSync(join(dir, 'blobs'), { recursive: true });

const RECORD = `
  INSERT INTO phoenix_kit_files (original_file_name, file_name, file_path, mime_type, file_type, ext, file_checksum,
                                 user_file_checksum, size, status, user_uuid)
  VALUES ($1, $2, 'blobs', 'application/octet-stream', 'other', 'bin', $3, $4, $5, 'active', $6::uuid)
  ON CONFLICT (user_file_checksum) DO UPDATE SET updated_at = now()
  RETURNING uuid::text, size::float8 AS size, (xmax <> 0) AS duplicate`;

type Ctx = { request: Request };

const schema = createSchema<Ctx>({
  typeDefs: /* GraphQL */ `
    scalar Upload
    interface Error { message: String! code: String! }
    type UploadFailed implements Error { message: String! code: String! }
    type File { uuid: String! size: Float! }
    type UploadFilePayload { duplicate: Boolean! file: File! }
    type MutationUploadFileSuccess { data: UploadFilePayload! }
    union UploadFileResult = MutationUploadFileSuccess | UploadFailed
    input UploadFileInput { file: Upload! }
    type Query { ok: Boolean }
    type Mutation { uploadFile(input: UploadFileInput!): UploadFileResult! }
  `,
  resolvers: {
    Upload: GraphQLUpload,
    UploadFileResult: { __resolveType: () => 'MutationUploadFileSuccess' },
    Mutation: {
      uploadFile: async (_root: unknown, args: { input: { file: Promise<FileUpload> } }, ctx: Ctx) => {
        const viewer = await sessionUser(pool, ctx.request);
        const upload = await args.input.file;
        const hash = createHash('sha256');
        let size = 0;
        const hashing = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            size += chunk.length;
            done(null, chunk);
          },
        });
        const temp = join(dir, 'tmp', randomUUID());
        await pipeline(upload.createReadStream(), hashing, createWriteStream(temp));
        const sha256 = hash.digest('hex');
        await rename(temp, join(dir, 'blobs', sha256));
        const dedupKey = createHash('sha256').update(`${viewer.uuid}${sha256}`).digest('hex');
        const [file] = (await pool.query(RECORD, [upload.filename, `${sha256}.bin`, sha256, dedupKey, size, viewer.uuid])).rows;
        return { data: { duplicate: file.duplicate, file: { uuid: file.uuid, size: file.size } } };
      },
    },
  },
});

const yoga = createYoga({
  schema,
  logging: false,
  graphiql: false,
  landingPage: false,
  multipart: false,
  maxRequestBodySize: false,
  plugins: [useGraphQLUploads({ maxFiles: 1 })],
});
serveReference(yoga, pool);
