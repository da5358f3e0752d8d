import { randomUUID } from 'node:crypto';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { localBucketRoot } from '../../src/storage/storage-registry.js';
import type { TestUser } from './accounts.js';
import { gql } from './content.js';
import { execute } from './execute.js';
import { listS3rverKeys, listTree, pathOf, uploadRaw } from './upload.js';
import type { S3TestServer } from './s3.js';

export const UPLOAD = gql(`mutation($input: UploadFileInput!) { uploadFile(input: $input) {
  __typename ... on MutationUploadFileSuccess { data { duplicate file { uuid url copies underReplicated } } }
  ... on Error { code message } } }`);
export const DRAIN = gql(`mutation($input: DrainBucketInput!) { drainBucket(input: $input) {
  __typename ... on MutationDrainBucketSuccess { data { copiesAdded removed remaining } } ... on Error { code message } } }`);
export const DELETE_BUCKET = gql(`mutation($input: DeleteBucketInput!) { deleteBucket(input: $input) {
  __typename ... on MutationDeleteBucketSuccess { data } ... on Error { code message } } }`);

export type Uploaded = { uuid: string; url: string; copies: number; underReplicated: boolean };

export async function uploadAs(app: App, user: TestUser, data: Buffer, name = 'f.bin') {
  // uploadRaw sends a Content-Length (as browsers do), so bucket selection sees an estimate of the size
  return uploadRaw(app, UPLOAD, { name, data }, { headers: user.headers });
}

export async function upload(app: App, user: TestUser, data: Buffer, name = 'f.bin'): Promise<Uploaded> {
  const result = await uploadAs(app, user, data, name);
  const payload = result.data?.uploadFile;
  if (payload?.__typename !== 'MutationUploadFileSuccess') throw new Error(`upload failed: ${JSON.stringify(result)}`);
  return payload.data.file as Uploaded;
}

export async function drain(app: App, uuid: string, as: TestUser) {
  const result = await execute(app, DRAIN, { input: { uuid } }, as.headers);
  return result.data?.drainBucket ?? { errors: result.errors?.map((e) => ({ message: e.message, code: e.extensions?.code })) };
}

export async function readBack(app: App, url: string): Promise<{ status: number; body: Buffer }> {
  const response = await app.fetch(`http://localhost${pathOf(url)}`);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

/** The stored object keys of a bucket, whatever its provider (local dir or an s3rver directory). */
export async function objectsOf(db: Db, dataDir: string, bucketUuid: string, s3: S3TestServer[] = []): Promise<string[] | null> {
  const row = await db.bucket.findUnique({ where: { uuid: bucketUuid } });
  if (!row) return null;
  if (row.provider === 'local') {
    return (await listTree(localBucketRoot(row.endpoint, dataDir))).filter((k) => !k.split('/').pop()!.startsWith('.pk-tmp'));
  }
  const server = s3.find((s) => s.bucket === row.bucketName);
  if (!server) return null;
  const keys = await listS3rverKeys(server.directory, server.bucket);
  if (!row.pathPrefix) return keys;
  const prefix = `${row.pathPrefix.replace(/^\/+|\/+$/g, '')}/`;
  return keys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
}

export type Violation = { kind: 'row-without-bytes' | 'bytes-without-row' | 'tmp-left'; bucket: string; path: string };

/**
 * The storage invariants: every active location in an enabled bucket has its bytes; every object under blobs/ or
 * _tiles/ has a location row; tmp objects are reported separately (allowed while younger than a day).
 */
export async function violations(db: Db, dataDir: string, s3: S3TestServer[] = [], opts: { buckets?: string[] } = {}) {
  const out: Violation[] = [];
  const buckets = await db.bucket.findMany({ where: opts.buckets ? { uuid: { in: opts.buckets } } : {} });
  for (const bucket of buckets) {
    const objects = await objectsOf(db, dataDir, bucket.uuid, s3);
    if (objects === null) continue;
    const have = new Set(objects);
    const rows = await db.fileLocation.findMany({ where: { bucketUuid: bucket.uuid }, select: { path: true, status: true } });
    const referenced = new Set(rows.map((r) => r.path));
    if (bucket.enabled) {
      for (const r of rows) if (r.status === 'active' && !have.has(r.path)) out.push({ kind: 'row-without-bytes', bucket: bucket.name, path: r.path });
    }
    for (const key of objects) {
      if (key.startsWith('tmp/')) out.push({ kind: 'tmp-left', bucket: bucket.name, path: key });
      else if ((key.startsWith('blobs/') || key.startsWith('_tiles/')) && !referenced.has(key)) {
        out.push({ kind: 'bytes-without-row', bucket: bucket.name, path: key });
      }
    }
  }
  return out;
}

export const newLocalBucket = async (app: App, name: string, extra: Record<string, unknown> = {}) =>
  (
    await app.services.buckets.create({
      name: `${name} ${randomUUID().slice(0, 8)}`,
      provider: 'local',
      endpoint: `buckets/${randomUUID()}`,
      ...extra,
    })
  ).uuid;

/** Enables exactly `uuids`; every other bucket is disabled. */
export async function only(app: App, db: Db, ...uuids: string[]) {
  for (const { uuid } of await db.bucket.findMany({ select: { uuid: true } })) {
    await app.services.buckets.update(uuid, { enabled: uuids.includes(uuid) });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
