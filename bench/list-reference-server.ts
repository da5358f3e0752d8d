/**
 * The bench's reference for figure 3: the same listing answered with the least this kind of server can do. The same
 * GraphQL server (graphql-yoga over graphql-js) with a schema holding only the listed fields, plain resolvers, one
 * hand-written statement that checks the session and one that reads the files with their instances, locations and
 * bucket names as JSON built by PostgreSQL; URLs signed per request. No Pothos, no Prisma, no roles, no
 * fingerprint check. Its answer is compared with the real server's before it is measured. PostgreSQL only
 * (DATABASE_URL); PORT and the server's settings (SECRET_KEY_BASE, PUBLIC_URL, DB_POOL_SIZE) from the environment.
 */
import { createSchema, createYoga } from 'graphql-yoga';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { fileUrlPath, signUrlToken } from '../src/modules/files/domain/url-token.js';
import { deriveSecrets } from '../src/security/secrets.js';
import { serveReference, sessionUser } from './lib/reference.js';

const config = loadConfig(process.env);
if (config.database.kind !== 'postgres') throw new Error('the listing reference needs DATABASE_URL (PostgreSQL)');
const pool = new pg.Pool({ connectionString: config.database.url, max: config.database.poolSize });
const { fileUrlKey } = deriveSecrets(config.secretKeyBase!);
const { publicUrl } = config;

const LIST = `
  SELECT f.uuid, f.original_file_name AS "originalFileName", f.size::float8 AS size,
         COALESCE((
           SELECT json_agg(json_build_object(
                    'fileUuid', i.file_uuid, 'variantName', i.variant_name,
                    'locations', COALESCE((
                      SELECT json_agg(json_build_object('path', l.path, 'status', l.status, 'bucket', json_build_object('name', b.name))
                                      ORDER BY l.priority, l.uuid)
                        FROM phoenix_kit_file_locations l JOIN phoenix_kit_buckets b ON b.uuid = l.bucket_uuid
                       WHERE l.file_instance_uuid = i.uuid), '[]'::json)) ORDER BY i.variant_name)
             FROM phoenix_kit_file_instances i WHERE i.file_uuid = f.uuid), '[]'::json) AS instances
    FROM phoenix_kit_files f
   WHERE f.user_uuid = $1 AND NOT f.system_managed AND f.status <> 'trashed'
   ORDER BY f.uuid DESC LIMIT $2`;

type Ctx = { request: Request };

const schema = createSchema<Ctx>({
  typeDefs: /* GraphQL */ `
    type Query { files(first: Int): FileConnection! }
    type FileConnection { edges: [FileEdge!]! }
    type FileEdge { node: File! }
    type File { uuid: String! originalFileName: String! size: Float! instances: [FileInstance!]! }
    type FileInstance { variantName: String! url: String! locations: [FileLocation!]! }
    type FileLocation { path: String! status: String! bucket: Bucket! }
    type Bucket { name: String! }
  `,
  resolvers: {
    Query: {
      files: async (_root: unknown, args: { first?: number | null }, ctx: Ctx) => {
        const viewer = await sessionUser(pool, ctx.request);
        const files = await pool.query(LIST, [viewer.uuid, Math.min(args.first ?? 100, 100)]);
        return { edges: files.rows.map((node) => ({ node })) };
      },
    },
    FileInstance: {
      url: (i: { fileUuid: string; variantName: string }) =>
        `${publicUrl}${fileUrlPath(i.fileUuid, i.variantName, signUrlToken({ fileUuid: i.fileUuid, variant: i.variantName, expiresAt: null }, fileUrlKey))}`,
    },
  },
});

const yoga = createYoga({ schema, logging: false, graphiql: false, landingPage: false });
serveReference(yoga, pool);
