import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { gql } from '../helpers/content.js';
import { tempDataDir, uploadVia } from '../helpers/upload.js';

// Two repairs at once (the storage-repair job and repairStorage) with a bucket to spare: a file the other repair has
// brought up to target gets no copy beyond it (bucket-usage.test.ts races two repairs over exactly two buckets).
const UploadDocument = gql(`mutation($input: UploadFileInput!) { uploadFile(input: $input) {
  __typename ... on MutationUploadFileSuccess { data { duplicate file { uuid } } } ... on Error { message code } } }`);

describe.each(backends)('repair over three buckets on %s', (_name, open) => {
  let backend: Backend;
  let db: Db;
  let app: App;
  let user: TestUser;
  let dataDir: string;

  async function upload(data: Buffer): Promise<string> {
    const result = await uploadVia(app, UploadDocument, { name: 'r.bin', type: 'application/octet-stream', data }, { headers: user.headers });
    const payload = result.data?.uploadFile;
    if (payload?.__typename !== 'MutationUploadFileSuccess') throw new Error(JSON.stringify(result));
    return payload.data.file.uuid;
  }

  beforeAll(async () => {
    backend = await open();
    db = backend.database.prisma;
    dataDir = tempDataDir();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    user = await signUp(app);
    await app.services.buckets.create({ name: 'Second', provider: 'local', endpoint: 'buckets/second' });
    await app.services.buckets.create({ name: 'Third', provider: 'local', endpoint: 'buckets/third' });
  });
  afterAll(async () => {
    await backend?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('two repairs at once never take a file above storage_redundancy_copies (3 buckets, target 2)', async () => {
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '1' });
    const uploaded: string[] = [];
    for (let i = 0; i < 30; i++) uploaded.push(await upload(randomBytes(1_500)));
    await app.services.settings.update({ key: 'storage_redundancy_copies', value: '2' });
    const [a, b] = await Promise.all([app.services.replication.repair(), app.services.replication.repair()]);
    const perFile = await Promise.all(
      uploaded.map(async (uuid) => db.fileLocation.count({ where: { status: 'active', fileInstance: { fileUuid: uuid } } })),
    );
    const above = perFile.filter((n) => n > 2).length;
    // 30 files were each one copy short
    expect({ above, copiesAdded: a.copiesAdded + b.copiesAdded }).toEqual({ above: 0, copiesAdded: 30 });
  });
});
