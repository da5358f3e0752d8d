import { mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { print } from 'graphql';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { openPostgres } from '../../src/db/database.js';
import { gridSize, levelSize, maxLevel, tileRect, type Size } from '../../src/modules/tiles/domain/dzi.js';
import { graphql } from '../gql/index.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, withCleanups, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';

const UploadDocument = graphql(`
  mutation TilesUpload($input: UploadFileInput!) {
    uploadFile(input: $input) {
      __typename
      ... on MutationUploadFileSuccess { data { file { uuid dziUrl } } }
      ... on Error { message code }
    }
  }
`);

const FileDocument = graphql(`
  query TilesFile($uuid: UUID!, $expiresInSeconds: Int) {
    file(uuid: $uuid) { uuid mimeType dziUrl(expiresInSeconds: $expiresInSeconds) }
  }
`);

const ListingsDocument = graphql(`
  query TilesListings {
    files(first: 100) { edges { node { uuid systemManaged } } }
    me { files(first: 100) { edges { node { uuid systemManaged } } } }
  }
`);

const DeleteDocument = graphql(`
  mutation TilesDelete($input: FileRefInput!) {
    deleteFile(input: $input) {
      __typename
      ... on MutationDeleteFileSuccess { data }
      ... on Error { message code }
    }
  }
`);

const SETTING = 'storage_tile_generation_enabled';

/** Every regular file under `dir`, `/`-separated and relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (current: string) => {
    for (const entry of await readdir(current, { withFileTypes: true }).catch(() => [])) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

/** A photo-like JPEG (noise, so tiles differ and compress like real ones). */
const noisyJpeg = (width: number, height: number, seed = 128) =>
  sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: seed, sigma: 40 } } })
    .jpeg({ quality: 90 })
    .toBuffer();

/** A photo-like JPEG with a few corrupt bytes in its scan: libjpeg only warns ("Corrupt JPEG data") and decodes it. */
async function slightlyCorruptJpeg(width: number, height: number): Promise<Buffer> {
  const bad = Buffer.from(await noisyJpeg(width, height, 100));
  bad.fill(0xff, 2000, 2010);
  return bad;
}

/** A PNG with a real alpha channel. */
const alphaPng = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 4, background: { r: 10, g: 200, b: 90, alpha: 0.4 } } })
    .png()
    .toBuffer();

async function upload(app: App, user: TestUser, name: string, type: string, data: Buffer): Promise<string> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: print(UploadDocument), variables: { input: { file: null } } }));
  form.set('map', JSON.stringify({ 0: ['variables.input.file'] }));
  form.set('0', new Blob([new Uint8Array(data)], { type }), name);
  const response = await app.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { accept: 'application/json', ...user.headers },
    body: form,
  });
  const body = (await response.json()) as { data?: { uploadFile?: { __typename: string; data?: { file: { uuid: string } } } } };
  const payload = body.data?.uploadFile;
  if (payload?.__typename !== 'MutationUploadFileSuccess' || !payload.data) throw new Error(`upload failed: ${JSON.stringify(body)}`);
  return payload.data.file.uuid;
}

const get = (app: App, url: string, init: RequestInit = {}) => {
  const u = new URL(url);
  return app.fetch(`http://localhost${u.pathname}${u.search}`, init);
};

/** Status, body and headers (minus the date) of a response: two "not found"s must be identical. */
async function shape(response: Response) {
  const headers = [...response.headers.entries()].filter(([name]) => name !== 'date').sort();
  return { status: response.status, body: await response.text(), headers };
}

/** Tiles of one level, from the DZI rules (independently checked against sharp's own pyramid below). */
const tilesAt = (image: Size, level: number) => {
  const { cols, rows } = gridSize(levelSize(image, level));
  return cols * rows;
};

/** Tiles of the whole pyramid. */
const pyramidTiles = (image: Size) => Array.from({ length: maxLevel(image) + 1 }, (_, level) => tilesAt(image, level)).reduce((a, b) => a + b);

const tileUrl = (dziUrl: string, level: number, col: number, row: number, ext: string) =>
  dziUrl.replace(/\.dzi$/, `_files/${level}/${col}_${row}.${ext}`);

describe.each(backends)('deep-zoom tiles on %s', (name, open) => {
  let backend: Backend;
  let app: App;
  let dataDir: string;
  let owner: TestUser;
  let user: TestUser;
  let other: TestUser;
  let bucketRoot: string;

  const setTiles = (on: boolean) => app.services.settings.update({ key: SETTING, value: on ? 'true' : 'false' });
  const dziUrlOf = async (uuid: string, as: TestUser = user, expiresInSeconds?: number) =>
    (await execute(app, FileDocument, { uuid, expiresInSeconds }, as.headers)).data?.file?.dziUrl ?? null;
  /** The parent's system files; unless `settle` is false, once the tiles rendered so far are all stored. */
  const systemRows = async (parent: string, { settle = true } = {}) => {
    if (settle) await app.services.tiles.settled();
    return backend.database.prisma.file.findMany({
      where: { parentFileUuid: parent },
      include: { instances: { include: { locations: true } } },
      orderBy: { fileName: 'asc' },
    });
  };
  const tileFilesOnDisk = async (parent: string) => {
    await app.services.tiles.settled();
    return (await filesUnder(bucketRoot)).filter((p) => p.startsWith(`_tiles/${parent}/`));
  };

  beforeAll(async () => {
    backend = await open();
    dataDir = mkdtempSync(join(tmpdir(), 'pk-tiles-test-'));
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    bucketRoot = join(dataDir, 'priv/media');
    owner = await signUp(app);
    user = await signUp(app);
    other = await signUp(app);
  });
  afterAll(() => backend.close());

  test('switched off: dziUrl is null and the routes answer 404', async () => {
    await setTiles(false);
    const uuid = await upload(app, user, 'off.jpg', 'image/jpeg', await noisyJpeg(300, 200));
    expect(await dziUrlOf(uuid)).toBeNull();
    const signed = `${app.services.fileUrls.url(uuid, 'dzi')}/${uuid}.dzi`;
    const manifest = await get(app, signed);
    const tile = await get(app, tileUrl(signed, 0, 0, 0, 'jpg'));
    expect(manifest.status).toBe(404);
    expect(tile.status).toBe(404);
    expect(await systemRows(uuid)).toHaveLength(0);
    // the same URL works once the setting is on
    await setTiles(true);
    expect(await dziUrlOf(uuid)).toBe(signed);
    expect((await get(app, signed)).status).toBe(200);
    await setTiles(false);
    expect((await get(app, signed)).status).toBe(404);
  });

  describe('switched on', () => {
    beforeAll(() => setTiles(true));

    test('dziUrl only for images', async () => {
      const image = await upload(app, user, 'photo.jpg', 'image/jpeg', await noisyJpeg(64, 48, 90));
      const text = await upload(app, user, 'notes.txt', 'text/plain', Buffer.from('just text\n'));
      expect(await dziUrlOf(image)).toMatch(new RegExp(`^http://localhost:4000/files/${image}/dzi/[A-Za-z0-9_-]+/${image}\\.dzi$`));
      expect(await dziUrlOf(text)).toBeNull();
      // a lifetime outside 1 s to a year is refused, not changed (for any file)
      for (const uuid of [image, text]) {
        const refused = await execute(app, FileDocument, { uuid, expiresInSeconds: 0 }, user.headers);
        expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
    });

    test('an image processing found unreadable (status failed): no dziUrl, and its manifest and tiles answer 404', async () => {
      const uuid = await upload(app, user, 'broken.jpg', 'image/jpeg', await noisyJpeg(300, 200));
      const signed = `${app.services.fileUrls.url(uuid, 'dzi')}/${uuid}.dzi`;
      await backend.database.prisma.file.update({ where: { uuid }, data: { status: 'failed' } });
      expect(await dziUrlOf(uuid)).toBeNull();
      expect((await get(app, signed)).status).toBe(404);
      expect((await get(app, tileUrl(signed, 0, 0, 0, 'jpg'))).status).toBe(404);
      expect(await systemRows(uuid)).toHaveLength(0);
      // processed again successfully (active), the same URL works
      await backend.database.prisma.file.update({ where: { uuid }, data: { status: 'active' } });
      expect(await dziUrlOf(uuid)).toBe(signed);
      expect((await get(app, signed)).status).toBe(200);
    });

    test('the manifest, then the whole pyramid on the first tile request, lazily, with the right sizes and pixels', async () => {
      const source = await noisyJpeg(1000, 700);
      const uuid = await upload(app, user, 'big.jpg', 'image/jpeg', source);
      const dzi = (await dziUrlOf(uuid))!;
      expect(await systemRows(uuid)).toHaveLength(0);

      const manifest = await get(app, dzi);
      expect(manifest.status).toBe(200);
      expect(manifest.headers.get('content-type')).toBe('application/xml; charset=utf-8');
      const xml = await manifest.text();
      expect(xml).toMatch(/<Image xmlns="http:\/\/schemas\.microsoft\.com\/deepzoom\/2008"/);
      expect(xml).toMatch(/TileSize="254"/);
      expect(xml).toMatch(/Overlap="1"/);
      expect(xml).toMatch(/Format="jpg"/);
      expect(xml).toMatch(/<Size Width="1000" Height="700"\/>/);
      // only the manifest so far
      expect((await systemRows(uuid)).map((r) => r.fileName)).toEqual([`_tiles/${uuid}/${uuid}.dzi`]);

      const corner = await get(app, tileUrl(dzi, 10, 3, 2, 'jpg'));
      expect(corner.status).toBe(200);
      // the tile answered is stored before the answer; the rest of the pyramid follows in the background
      const cornerKey = `_tiles/${uuid}/${uuid}_files/10/3_2.jpg`;
      expect((await systemRows(uuid, { settle: false })).map((r) => r.fileName)).toContain(cornerKey);
      expect(corner.headers.get('content-type')).toBe('image/jpeg');
      const cornerMeta = await sharp(Buffer.from(await corner.arrayBuffer())).metadata();
      expect([cornerMeta.format, cornerMeta.width, cornerMeta.height]).toEqual(['jpeg', 239, 193]);
      const image = { width: 1000, height: 700 };
      // the first tile made the whole pyramid: every level, once
      const afterFirst = await systemRows(uuid);
      expect(afterFirst.filter((r) => (r.metadata as { level?: number }).level === 10)).toHaveLength(12);
      expect(afterFirst.filter((r) => (r.metadata as { level?: number }).level !== undefined)).toHaveLength(pyramidTiles(image));
      // sharp's own pyramid of the same source is the reference for every tile's size (and the top level's pixels)
      const refDir = mkdtempSync(join(tmpdir(), 'pk-tiles-ref-'));
      await sharp(source).jpeg({ quality: 85 }).tile({ size: 254, overlap: 1, layout: 'dz' }).toFile(join(refDir, 'ref'));
      expect(maxLevel(image)).toBe(10);
      for (const level of [10, 9, 8, 0]) {
        const size = levelSize(image, level);
        for (let col = 0; col * 254 < size.width; col++) {
          for (let row = 0; row * 254 < size.height; row++) {
            const response = await get(app, tileUrl(dzi, level, col, row, 'jpg'));
            expect(response.status, `${level}/${col}_${row}`).toBe(200);
            const ours = Buffer.from(await response.arrayBuffer());
            const reference = join(refDir, 'ref_files', String(level), `${col}_${row}.jpeg`);
            const [mine, theirs] = await Promise.all([sharp(ours).metadata(), sharp(reference).metadata()]);
            const rect = tileRect(size, col, row)!;
            expect([mine.width, mine.height], `${level}/${col}_${row}`).toEqual([theirs.width, theirs.height]);
            expect([mine.width, mine.height]).toEqual([rect.width, rect.height]);
            if (level === 10) {
              // no resampling at the top level: the same pixels up to JPEG noise
              const [a, b] = await Promise.all([sharp(ours).raw().toBuffer(), sharp(reference).raw().toBuffer()]);
              let diff = 0;
              for (let i = 0; i < a.length; i++) diff += Math.abs(a[i]! - b[i]!);
              expect(diff / a.length).toBeLessThan(3);
            }
          }
        }
      }
      const rows = await systemRows(uuid);
      const levels = new Set(rows.map((r) => (r.metadata as { level?: number }).level).filter((l) => l !== undefined));
      expect([...levels].sort((a, b) => a! - b!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // 12 + 4 + one tile for each of the levels 0…8, and the manifest: nothing was made twice
      expect(pyramidTiles(image)).toBe(12 + 4 + 9);
      expect(rows).toHaveLength(1 + pyramidTiles(image));
      for (const row of rows) {
        expect(row.systemManaged).toBe(true);
        expect(row.userUuid).toBeNull();
        expect(row.parentFileUuid).toBe(uuid);
        expect(row.fileType).toBe('tile');
        expect(row.status).toBe('active');
        // no variants: one original instance, stored beside the parent's copy
        expect(row.instances.map((i) => [i.variantName, i.processingStatus])).toEqual([['original', 'completed']]);
        expect(row.instances[0]!.locations.map((l) => [l.path, l.status])).toEqual([[row.fileName, 'active']]);
        expect(row.userFileChecksum).not.toBe(row.fileChecksum);
      }
      expect(await tileFilesOnDisk(uuid)).toEqual(rows.map((r) => r.fileName).sort());
    });

    test('an image with alpha gets png tiles that keep it', async () => {
      const uuid = await upload(app, user, 'alpha.png', 'image/png', await alphaPng(300, 200));
      const dzi = (await dziUrlOf(uuid))!;
      const xml = await (await get(app, dzi)).text();
      expect(xml).toMatch(/Format="png"/);
      expect(xml).toMatch(/<Size Width="300" Height="200"\/>/);
      expect((await get(app, tileUrl(dzi, 9, 0, 0, 'jpg'))).status).toBe(404);
      const tile = await get(app, tileUrl(dzi, 9, 1, 0, 'png'));
      expect(tile.headers.get('content-type')).toBe('image/png');
      const meta = await sharp(Buffer.from(await tile.arrayBuffer())).metadata();
      expect([meta.format, meta.width, meta.height, meta.hasAlpha]).toEqual(['png', 47, 200, true]);
    });

    test('EXIF orientation is honoured: the pyramid is of the image as displayed', async () => {
      // stored 300×200, left half red, right half blue; orientation 6 displays it turned a quarter clockwise (200×300)
      const blue = await sharp({ create: { width: 150, height: 200, channels: 3, background: '#0000ff' } }).png().toBuffer();
      const rotated = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ff0000' } })
        .composite([{ input: blue, left: 150, top: 0 }])
        .jpeg()
        .withMetadata({ orientation: 6 })
        .toBuffer();
      expect((await sharp(rotated).metadata()).orientation).toBe(6);
      const uuid = await upload(app, user, 'turned.jpg', 'image/jpeg', rotated);
      const dzi = (await dziUrlOf(uuid))!;
      expect(await (await get(app, dzi)).text()).toMatch(/<Size Width="200" Height="300"\/>/);
      const colourOf = async (row: number) => {
        const tile = Buffer.from(await (await get(app, tileUrl(dzi, 9, 0, row, 'jpg'))).arrayBuffer());
        const { width, height } = await sharp(tile).metadata();
        // mean red and blue of the tile's top 40 rows
        const pixels = await sharp(tile).extract({ left: 0, top: 0, width: 200, height: 40 }).removeAlpha().raw().toBuffer();
        const mean = (channel: number) => {
          let sum = 0;
          for (let i = channel; i < pixels.length; i += 3) sum += pixels[i]!;
          return Math.round(sum / (pixels.length / 3));
        };
        return { width, height, red: mean(0), blue: mean(2) };
      };
      const top = await colourOf(0);
      const bottom = await colourOf(1);
      expect([top.width, top.height, bottom.width, bottom.height]).toEqual([200, 255, 200, 47]);
      expect(top.red).toBeGreaterThan(200); // the stored left half is on top now
      expect(bottom.blue).toBeGreaterThan(200);
    });

    test('identical tiles of two images (two users, same bytes) are stored for each without colliding', async () => {
      const bytes = await noisyJpeg(400, 300, 60);
      const first = await upload(app, user, 'same.jpg', 'image/jpeg', bytes);
      const second = await upload(app, other, 'same.jpg', 'image/jpeg', bytes);
      for (const [uuid, as] of [[first, user], [second, other]] as const) {
        const dzi = (await dziUrlOf(uuid, as))!;
        expect((await get(app, tileUrl(dzi, 9, 1, 1, 'jpg'))).status).toBe(200);
      }
      const [a, b] = await Promise.all([systemRows(first), systemRows(second)]);
      const tileOf = (rows: typeof a) => rows.find((r) => r.fileName.endsWith('_files/9/1_1.jpg'))!;
      expect(tileOf(a).fileChecksum).toBe(tileOf(b).fileChecksum);
      expect(tileOf(a).userFileChecksum).not.toBe(tileOf(b).userFileChecksum);
    });

    test('50 concurrent requests for one missing tile: one row, one stored copy, everyone gets the bytes', async () => {
      const uuid = await upload(app, user, 'crowd.jpg', 'image/jpeg', await noisyJpeg(900, 600, 100));
      const dzi = (await dziUrlOf(uuid))!;
      const url = tileUrl(dzi, 10, 1, 1, 'jpg');
      const responses = await Promise.all(Array.from({ length: 50 }, () => get(app, url)));
      const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, bytes: Buffer.from(await r.arrayBuffer()) })));
      expect(bodies.map((b) => b.status)).toEqual(Array(50).fill(200));
      expect(new Set(bodies.map((b) => b.bytes.toString('base64'))).size).toBe(1);
      expect((await sharp(bodies[0]!.bytes).metadata()).width).toBe(256);
      const key = `_tiles/${uuid}/${uuid}_files/10/1_1.jpg`;
      const rows = (await systemRows(uuid)).filter((r) => r.fileName === key);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.instances).toHaveLength(1);
      expect(rows[0]!.instances[0]!.locations).toHaveLength(1);
      expect((await tileFilesOnDisk(uuid)).filter((p) => p === key)).toHaveLength(1);
      // the manifest too, and no temporary leftovers anywhere
      expect((await systemRows(uuid)).filter((r) => r.fileName.endsWith('.dzi'))).toHaveLength(1);
      expect((await filesUnder(bucketRoot)).filter((p) => p.includes('.pk-tmp-'))).toEqual([]);
    });

    test('bad, expired and foreign tokens, missing files and tiles all get the same 404', async () => {
      const uuid = await upload(app, user, 'guarded.jpg', 'image/jpeg', await noisyJpeg(500, 400, 70));
      const foreign = await upload(app, other, 'theirs.jpg', 'image/jpeg', await noisyJpeg(500, 400, 71));
      const dzi = (await dziUrlOf(uuid))!;
      const good = await get(app, tileUrl(dzi, 9, 0, 0, 'jpg'));
      expect(good.status).toBe(200);
      const token = new URL(dzi).pathname.split('/')[4]!;
      const flip = (t: string) => `${t.slice(0, 10)}${t[10] === 'A' ? 'B' : 'A'}${t.slice(11)}`;
      const withToken = (t: string, file = uuid) => `http://localhost/files/${file}/dzi/${t}/${file}.dzi`;
      const expired = `${app.services.fileUrls.url(uuid, 'dzi', new Date(Date.now() - 1000))}/${uuid}.dzi`;
      const otherToken = new URL((await dziUrlOf(foreign, other))!).pathname.split('/')[4]!;
      const originalToken = new URL(app.services.fileUrls.url(uuid, 'original')).pathname.split('/')[4]!;
      const missing = '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b';
      const bad = [
        withToken(flip(token)),
        expired,
        withToken(otherToken), // a token of another file
        withToken(token, foreign), // this file's token on another file
        withToken(originalToken), // a token for another variant of the same file
        `${app.services.fileUrls.url(missing, 'dzi')}/${missing}.dzi`, // a valid token of a file that does not exist
        tileUrl(dzi, 12, 0, 0, 'jpg'), // beyond the top level
        tileUrl(dzi, 9, 7, 0, 'jpg'), // beyond the level's columns
        tileUrl(dzi, 9, 0, 0, 'png'), // wrong format
        dzi.replace(/\.dzi$/, '_files/9/00_0.jpg'),
        dzi.replace(/\.dzi$/, '.xml'),
      ];
      const shapes = await Promise.all(bad.map(async (url) => shape(await get(app, url))));
      const fileRoute404 = await shape(await get(app, `http://localhost/files/${missing}/original/${'A'.repeat(43)}`));
      expect(fileRoute404.status).toBe(404);
      for (const [i, s] of shapes.entries()) expect(s, bad[i]).toEqual(fileRoute404);
      // and a trashed image loses its tiles
      await backend.database.prisma.file.update({ where: { uuid }, data: { status: 'trashed', trashedAt: new Date() } });
      expect(await shape(await get(app, tileUrl(dzi, 9, 0, 0, 'jpg')))).toEqual(fileRoute404);
      expect((await app.fetch(`http://localhost${new URL(dzi).pathname}`, { method: 'POST' })).status).toBe(405);
    });

    test('HEAD and If-None-Match work on tiles', async () => {
      const uuid = await upload(app, user, 'etag.jpg', 'image/jpeg', await noisyJpeg(200, 200, 33));
      const url = tileUrl((await dziUrlOf(uuid))!, 8, 0, 0, 'jpg');
      const head = await get(app, url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      const etag = head.headers.get('etag')!;
      expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
      expect(head.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      expect((await get(app, url, { headers: { 'if-none-match': etag } })).status).toBe(304);
    });

    test('a database failure answers 503 with nothing of the cause, and tiles serve again after', async () => {
      const uuid = await upload(app, user, 'outage.jpg', 'image/jpeg', await noisyJpeg(200, 200, 35));
      const url = tileUrl((await dziUrlOf(uuid))!, 8, 0, 0, 'jpg');
      await app.services.tiles.settled();
      await backend.database.sql.query('ALTER TABLE phoenix_kit_files RENAME TO phoenix_kit_files_away');
      try {
        const failed = await get(app, url);
        expect(failed.status).toBe(503);
        expect(await failed.text()).toBe('Service unavailable\n');
      } finally {
        await backend.database.sql.query('ALTER TABLE phoenix_kit_files_away RENAME TO phoenix_kit_files');
      }
      expect((await get(app, url)).status).toBe(200);
    });

    test('system files never appear in listings and are not files of their own', async () => {
      const uuid = await upload(app, user, 'listed.jpg', 'image/jpeg', await noisyJpeg(300, 300, 44));
      const dzi = (await dziUrlOf(uuid))!;
      expect((await get(app, tileUrl(dzi, 9, 0, 0, 'jpg'))).status).toBe(200);
      const children = await systemRows(uuid);
      expect(children.length).toBeGreaterThan(1);
      const untrashed = await backend.database.prisma.file.count({ where: { userUuid: user.uuid, status: { not: 'trashed' } } });
      for (const as of [user, owner]) {
        const result = await execute(app, ListingsDocument, {}, as.headers);
        expect(result.errors).toBeUndefined();
        const listed = result.data!.files.edges.map((e) => e.node);
        expect(listed.every((f) => !f.systemManaged)).toBe(true);
        expect(listed.some((f) => children.some((c) => c.uuid === f.uuid))).toBe(false);
        const own = result.data!.me!.files!.edges.map((e) => e.node);
        expect(own.every((f) => !f.systemManaged)).toBe(true);
      }
      const userListing = await execute(app, ListingsDocument, {}, user.headers);
      expect(userListing.data!.files.edges).toHaveLength(untrashed);
      expect(userListing.data!.me!.files!.edges).toHaveLength(untrashed); // both leave the trash out
      // an admin asking for a tile by uuid gets nothing, and cannot delete it directly
      expect((await execute(app, FileDocument, { uuid: children[1]!.uuid }, owner.headers)).data?.file).toBeNull();
      const direct = await execute(app, DeleteDocument, { input: { uuid: children[1]!.uuid } }, owner.headers);
      expect(direct.data?.deleteFile).toMatchObject({ code: 'NOT_FOUND' });
      expect(await systemRows(uuid)).toHaveLength(children.length);
    });

    test('a JPEG the decoder only warns about gets its tiles, as processing gives it its variants', async () => {
      const uuid = await upload(app, user, 'camera.jpg', 'image/jpeg', await slightlyCorruptJpeg(600, 400));
      await app.services.media.processFile(uuid, { final: true });
      const processed = await backend.database.prisma.file.findUniqueOrThrow({ where: { uuid }, include: { instances: true } });
      expect(processed.status).toBe('active');
      expect(processed.instances.length).toBeGreaterThan(1);
      expect(processed.instances.every((i) => i.processingStatus === 'completed')).toBe(true);

      const dzi = (await dziUrlOf(uuid))!;
      expect((await get(app, dzi)).status).toBe(200);
      // the manifest promises a pyramid: its tiles must be servable
      const tile = await get(app, tileUrl(dzi, 10, 0, 0, 'jpg'));
      expect(tile.status).toBe(200);
      expect(tile.headers.get('content-type')).toBe('image/jpeg');
      expect(await systemRows(uuid)).toHaveLength(pyramidTiles({ width: 600, height: 400 }) + 1);
    });

    test('system files never get variants: processing the parent makes its variants, processing a tile does nothing', async () => {
      const uuid = await upload(app, user, 'variants.jpg', 'image/jpeg', await noisyJpeg(700, 500, 77));
      const dzi = (await dziUrlOf(uuid))!;
      expect((await get(app, tileUrl(dzi, 10, 0, 0, 'jpg'))).status).toBe(200);
      const tiles = await systemRows(uuid);
      await app.services.media.runJob({ fileUuid: uuid });
      for (const tile of tiles.slice(0, 5)) await app.services.media.runJob({ fileUuid: tile.uuid });
      const parent = await backend.database.prisma.file.findUniqueOrThrow({ where: { uuid }, include: { instances: true } });
      expect(parent.status).toBe('active');
      expect(parent.instances.length).toBeGreaterThan(1);
      const after = await systemRows(uuid);
      expect(after.map((r) => [r.uuid, r.status, r.instances.map((i) => i.variantName)])).toEqual(
        tiles.map((r) => [r.uuid, 'active', ['original']]),
      );
    });

    test('deleting the parent removes its tile rows and tile bytes', async () => {
      const uuid = await upload(app, user, 'doomed.jpg', 'image/jpeg', await noisyJpeg(800, 500, 55));
      const dzi = (await dziUrlOf(uuid))!;
      for (const level of [0, 9, 10]) expect((await get(app, tileUrl(dzi, level, 0, 0, 'jpg'))).status).toBe(200);
      const before = await systemRows(uuid);
      expect(before.length).toBe(1 + pyramidTiles({ width: 800, height: 500 }));
      expect(await tileFilesOnDisk(uuid)).toHaveLength(before.length);

      const deleted = await execute(app, DeleteDocument, { input: { uuid } }, user.headers);
      expect(deleted.data?.deleteFile).toEqual({ __typename: 'MutationDeleteFileSuccess', data: uuid });
      expect(await systemRows(uuid)).toHaveLength(0);
      const ids = before.map((r) => r.uuid);
      expect(await backend.database.prisma.file.count({ where: { uuid: { in: ids } } })).toBe(0);
      expect(await backend.database.prisma.fileInstance.count({ where: { fileUuid: { in: ids } } })).toBe(0);
      expect(await tileFilesOnDisk(uuid)).toEqual([]);
      expect((await get(app, dzi)).status).toBe(404);
    });
  });

  test('deleting the parent while its pyramid is still being stored leaves no tile rows and no tile bytes', async () => {
    await setTiles(true);
    const uuid = await upload(app, user, 'hurried.jpg', 'image/jpeg', await noisyJpeg(4000, 3000, 31));
    const dzi = (await dziUrlOf(uuid))!;
    expect((await get(app, tileUrl(dzi, 0, 0, 0, 'jpg'))).status).toBe(200);
    const deleted = await execute(app, DeleteDocument, { input: { uuid } }, user.headers);
    expect(deleted.data?.deleteFile).toEqual({ __typename: 'MutationDeleteFileSuccess', data: uuid });
    expect(await systemRows(uuid)).toHaveLength(0);
    expect(await tileFilesOnDisk(uuid)).toEqual([]);
    expect((await filesUnder(bucketRoot)).filter((p) => p.includes('.pk-tmp-'))).toEqual([]);
  });

  if (name === 'postgres') {
    test('two server processes on one database and one bucket: 50 requests split between them make one row and one copy', async () => {
      const database = await openPostgres(backend.database.url!, 4, { prefix: 'public' });
      const second: Backend = withCleanups({ database, queries: [], close: () => database.close() });
      try {
        const twin = createTestApp(second, { env: { DATA_DIR: dataDir } });
        await setTiles(true);
        const uuid = await upload(app, user, 'twins.jpg', 'image/jpeg', await noisyJpeg(1200, 800, 120));
        const dzi = (await dziUrlOf(uuid))!;
        const url = tileUrl(dzi, 11, 2, 1, 'jpg');
        const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => get(i % 2 ? twin : app, url)));
        const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, bytes: Buffer.from(await r.arrayBuffer()) })));
        expect(bodies.map((b) => b.status)).toEqual(Array(50).fill(200));
        expect(new Set(bodies.map((b) => b.bytes.toString('base64'))).size).toBe(1);
        const key = `_tiles/${uuid}/${uuid}_files/11/2_1.jpg`;
        await twin.services.tiles.settled();
        const rows = await systemRows(uuid);
        expect(rows.filter((r) => r.fileName === key)).toHaveLength(1);
        expect(rows.filter((r) => r.fileName.endsWith('.dzi'))).toHaveLength(1);
        // the whole pyramid once, each tile with one location
        expect(rows.filter((r) => (r.metadata as { level?: number }).level === 11)).toHaveLength(20);
        expect(rows).toHaveLength(1 + pyramidTiles({ width: 1200, height: 800 }));
        expect(rows.every((r) => r.instances.length === 1 && r.instances[0]!.locations.length === 1)).toBe(true);
        expect((await tileFilesOnDisk(uuid)).filter((p) => p === key)).toHaveLength(1);
        expect(await tileFilesOnDisk(uuid)).toHaveLength(rows.length);
      } finally {
        await second.close();
      }
    });
  }
});
