import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { SqlRunner } from '../../src/db/sql.js';
import { backends, type Backend } from '../helpers/backends.js';

/** Runs `fn` and returns the SQLSTATE it failed with (undefined when it succeeded). */
async function sqlState(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

async function insertUser(sql: SqlRunner, email = `u-${randomUUID()}@test.local`): Promise<string> {
  const [row] = await sql.query<{ uuid: string }>(
    `INSERT INTO phoenix_kit_users (email, hashed_password) VALUES ($1, 'x') RETURNING uuid`,
    [email],
  );
  return row!.uuid;
}

async function insertFile(sql: SqlRunner, f: { user?: string | null; parent?: string | null; system?: boolean; name?: string }) {
  const [row] = await sql.query<{ uuid: string }>(
    `INSERT INTO phoenix_kit_files (original_file_name, file_name, mime_type, file_type, ext, file_checksum,
                                    user_file_checksum, size, user_uuid, parent_file_uuid, system_managed)
     VALUES ('a.png', $1, 'image/png', 'image', 'png', 'c', $2, 1, $3, $4, $5) RETURNING uuid`,
    [f.name ?? `${randomUUID()}.png`, randomUUID(), f.user ?? null, f.parent ?? null, f.system ?? false],
  );
  return row!.uuid;
}

describe.each(backends)('seeds and database invariants on %s', (_name, open) => {
  let backend: Backend;
  let sql: SqlRunner;
  beforeAll(async () => {
    backend = await open();
    sql = backend.database.sql;
  });
  afterAll(() => backend.close());

  test('system roles are seeded and protected as system roles', async () => {
    const rows = await sql.query<{ name: string; is_system_role: boolean }>(
      `SELECT name, is_system_role FROM phoenix_kit_user_roles ORDER BY name`,
    );
    expect(rows).toEqual([
      { name: 'Admin', is_system_role: true },
      { name: 'Owner', is_system_role: true },
      { name: 'User', is_system_role: true },
    ]);
  });

  test('default settings are seeded', async () => {
    const rows = await sql.query<{ key: string; value: string | null }>(`SELECT key, value FROM phoenix_kit_settings`);
    const settings = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    expect(settings).toMatchObject({
      time_zone: '0',
      date_format: 'Y-m-d',
      time_format: 'H:i',
      storage_redundancy_copies: '1',
      storage_auto_generate_variants: 'true',
      entities_enabled: 'false',
      entities_max_per_user: '100',
      comments_max_depth: '10',
    });
  });

  test('the default bucket and the 8 default dimensions are seeded', async () => {
    const buckets = await sql.query(`SELECT name, provider, endpoint, enabled, priority, access_type FROM phoenix_kit_buckets`);
    expect(buckets).toEqual([
      { name: 'Local Storage', provider: 'local', endpoint: 'priv/media', enabled: true, priority: 0, access_type: 'public' },
    ]);
    const dims = await sql.query(
      `SELECT name, applies_to, width, height, quality, format, maintain_aspect_ratio, "order", enabled
         FROM phoenix_kit_storage_dimensions ORDER BY "order"`,
    );
    const row = (name: string, applies_to: string, width: number, height: number, quality: number, format: string, order: number) =>
      ({ name, applies_to, width, height, quality, format, maintain_aspect_ratio: true, order, enabled: true });
    expect(dims).toEqual([
      row('thumbnail', 'image', 150, 150, 85, 'jpg', 1),
      row('small', 'image', 300, 300, 85, 'jpg', 2),
      row('medium', 'image', 800, 600, 85, 'jpg', 3),
      row('large', 'image', 1920, 1080, 85, 'jpg', 4),
      row('360p', 'video', 640, 360, 28, 'mp4', 5),
      row('720p', 'video', 1280, 720, 28, 'mp4', 6),
      row('1080p', 'video', 1920, 1080, 28, 'mp4', 7),
      row('video_thumbnail', 'video', 640, 360, 85, 'jpg', 8),
    ]);
  });

  test('primary keys default to UUIDv7', async () => {
    const uuid = await insertUser(sql);
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // time-ordered: the first 48 bits are the insert time in ms
    const ms = parseInt(uuid.replaceAll('-', '').slice(0, 12), 16);
    expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
  });

  test('email is unique regardless of case', async () => {
    const email = `Case.${randomUUID()}@Example.com`;
    await insertUser(sql, email);
    expect(await sqlState(() => insertUser(sql, email.toLowerCase()))).toBe('23505');
    expect(await sqlState(() => insertUser(sql, email.toUpperCase()))).toBe('23505');
    const rows = await sql.query(`SELECT 1 FROM phoenix_kit_users WHERE email = $1`, [email.toUpperCase()]);
    expect(rows).toHaveLength(1);
  });

  test('a file needs a user or a parent', async () => {
    expect(await sqlState(() => insertFile(sql, { user: null, parent: null }))).toBe('23514');
    const user = await insertUser(sql);
    const parent = await insertFile(sql, { user });
    expect(await sqlState(() => insertFile(sql, { user: null, parent, system: true }))).toBeUndefined();
  });

  test('system files are unique per (parent, file name); user files are not held to it', async () => {
    const user = await insertUser(sql);
    const parent = await insertFile(sql, { user });
    const name = `_tiles/${parent}/0/0_0.jpg`;
    await insertFile(sql, { parent, system: true, name });
    expect(await sqlState(() => insertFile(sql, { parent, system: true, name }))).toBe('23505');
    // the ON CONFLICT target the tile writer uses names this partial index
    const inserted = await sql.query(
      `INSERT INTO phoenix_kit_files (original_file_name, file_name, mime_type, file_type, ext, file_checksum,
                                      user_file_checksum, size, parent_file_uuid, system_managed)
       VALUES ('t', $1, 'image/jpeg', 'tile', 'jpg', 'c', $2, 1, $3, true)
       ON CONFLICT (parent_file_uuid, file_name) WHERE system_managed = true DO NOTHING RETURNING uuid`,
      [name, randomUUID(), parent],
    );
    expect(inserted).toHaveLength(0);
    // two user files with the same name under the same parent are fine
    await insertFile(sql, { user, parent, name });
    expect(await sqlState(() => insertFile(sql, { user, parent, name }))).toBeUndefined();
    // deleting the parent takes its system children with it
    await sql.query(`DELETE FROM phoenix_kit_files WHERE uuid = $1`, [parent]);
    expect(await sql.query(`SELECT 1 FROM phoenix_kit_files WHERE parent_file_uuid = $1`, [parent])).toHaveLength(0);
  });

  test('comment media: one attachment per (comment, position); an attached file cannot be deleted', async () => {
    const user = await insertUser(sql);
    const file = await insertFile(sql, { user });
    const [comment] = await sql.query<{ uuid: string }>(
      `INSERT INTO phoenix_kit_comments (resource_type, resource_uuid, user_uuid, body) VALUES ('post', $1, $2, 'hi') RETURNING uuid`,
      [randomUUID(), user],
    );
    const attach = (position: number) =>
      sql.query(`INSERT INTO phoenix_kit_comment_media (comment_uuid, file_uuid, position) VALUES ($1, $2, $3)`, [
        comment!.uuid,
        file,
        position,
      ]);
    await attach(1);
    expect(await sqlState(() => attach(1))).toBe('23505');
    await attach(2);
    expect(await sqlState(() => sql.query(`DELETE FROM phoenix_kit_files WHERE uuid = $1`, [file]))).toBe('23503');
    expect(await sql.query(`SELECT 1 FROM phoenix_kit_files WHERE uuid = $1`, [file])).toHaveLength(1);
    // deleting the comment removes its attachment rows, after which the file can go
    await sql.query(`DELETE FROM phoenix_kit_comments WHERE uuid = $1`, [comment!.uuid]);
    expect(await sql.query(`SELECT 1 FROM phoenix_kit_comment_media WHERE file_uuid = $1`, [file])).toHaveLength(0);
    expect(await sqlState(() => sql.query(`DELETE FROM phoenix_kit_files WHERE uuid = $1`, [file]))).toBeUndefined();
  });
});
