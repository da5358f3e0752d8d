import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print, type ExecutionResult } from 'graphql';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { openPostgres } from '../../src/db/database.js';
import { jobDefinitions } from '../../src/jobs/jobs.js';
import type { FileProcessingEvent } from '../../src/modules/media/file-events.js';
import { FILE_EVENTS_APPLICATION_NAME } from '../../src/modules/media/file-events-postgres.js';
import { fileProcessingStream, type FileProgressEvent } from '../../src/modules/media/file-events-stream.js';
import type { FileEventsUploadMutation } from '../gql/graphql.js';
import { graphql } from '../gql/index.js';
import { createTestApp, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, withCleanups, type Backend } from '../helpers/backends.js';

const ProgressDocument = graphql(`
  subscription FileEventsProgress($fileUuid: UUID!) {
    fileProcessing(fileUuid: $fileUuid) { fileUuid variant status reason at final }
  }
`);

const UploadDocument = graphql(`
  mutation FileEventsUpload($input: UploadFileInput!) {
    uploadFile(input: $input) {
      __typename
      ... on MutationUploadFileSuccess { data { file { uuid status } } }
      ... on Error { message code }
    }
  }
`);

type Progress = Pick<FileProgressEvent, 'fileUuid' | 'variant' | 'status' | 'reason'> & { at: string; final: boolean };
type SseMessage = { event: string; data: string };

/** Server-sent events of a response, one message (`event:` + `data:` lines) at a time. */
async function* sseMessages(response: Response): AsyncGenerator<SseMessage> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (block.split('\n').every((line) => line.startsWith(':'))) continue; // keep-alive comment
        yield { event, data: data.join('\n') };
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** A subscription over SSE through `app.fetch` (POST, `Accept: text/event-stream`), as a browser client sends it. */
async function subscribe(app: App, fileUuid: string, headers: Record<string, string> = {}) {
  const response = await app.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query: print(ProgressDocument), variables: { fileUuid } }),
  });
  if (response.status !== 200) throw new Error(`subscription answered ${response.status}: ${JSON.stringify(await response.text())}`);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const messages = sseMessages(response);
  /** The next message, failing the test instead of hanging. */
  const next = async (ms = 5000): Promise<SseMessage | 'end'> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms)));
    try {
      const result = await Promise.race([messages.next(), timeout]);
      return result.done ? 'end' : result.value;
    } finally {
      clearTimeout(timer);
    }
  };
  /** The next `next` message's event. */
  const event = async (ms?: number): Promise<Progress> => {
    const message = await next(ms);
    if (message === 'end' || message.event !== 'next') throw new Error(`expected an event, got ${JSON.stringify(message)}`);
    const body = JSON.parse(message.data) as { data?: { fileProcessing: Progress }; errors?: unknown };
    if (!body.data) throw new Error(`expected data, got ${message.data}`);
    return body.data.fileProcessing;
  };
  /** The stream ends: a `complete` message, then the end of the body. */
  const completes = async () => {
    expect(await next()).toEqual({ event: 'complete', data: '' });
    expect(await next()).toBe('end');
  };
  return { next, event, completes, close: () => messages.return(undefined) };
}

const at = () => new Date().toISOString();
const ev = (fileUuid: string, variant: string | null, status: FileProcessingEvent['status'], reason: string | null = null): FileProcessingEvent => ({
  fileUuid,
  variant,
  status,
  reason,
  at: at(),
});
const brief = (e: Pick<Progress, 'variant' | 'status' | 'reason' | 'final'>) => [e.variant, e.status, e.reason, e.final];

describe.each(backends)('file processing events on %s', (name, open) => {
  let backend: Backend;
  let app: App;
  let owner: TestUser;
  let user: TestUser;
  let stranger: TestUser;
  // one data directory (and so one local bucket) for the server and its worker, as on one machine
  const dataDir = mkdtempSync(join(tmpdir(), 'pk-events-'));

  /** A file row as an upload leaves it while its job runs; `variants` get instance rows in the given state. */
  async function processingFile(of: TestUser, variants: Record<string, string> = {}, status = 'processing') {
    const checksum = randomBytes(32).toString('hex');
    const file = await backend.database.prisma.file.create({
      data: {
        originalFileName: 'photo.jpg',
        fileName: `${checksum}.jpg`,
        mimeType: 'image/jpeg',
        fileType: 'image',
        ext: 'jpg',
        fileChecksum: checksum,
        userFileChecksum: randomBytes(32).toString('hex'),
        size: 1000n,
        status,
        userUuid: of.uuid,
        instances: {
          create: Object.entries(variants).map(([variantName, processingStatus]) => ({
            variantName,
            fileName: `${checksum}_${variantName}.jpg`,
            mimeType: 'image/jpeg',
            ext: 'jpg',
            checksum,
            size: 10n,
            processingStatus,
          })),
        },
      },
    });
    return file.uuid;
  }

  beforeAll(async () => {
    backend = await open();
    app = createTestApp(backend, { env: { DATA_DIR: dataDir } });
    owner = await signUp(app);
    user = await signUp(app);
    stranger = await signUp(app);
  });
  afterAll(() => backend.close());

  test('SSE: the stored state, then every published event in order, then the stream completes', async () => {
    const uuid = await processingFile(user, { thumbnail: 'pending', original: 'completed' });
    const stream = await subscribe(app, uuid, user.headers);
    expect(brief(await stream.event())).toEqual(['thumbnail', 'pending', null, false]);
    const state = await stream.event();
    expect(brief(state)).toEqual([null, 'processing', null, false]);
    expect(state.fileUuid).toBe(uuid);

    const other = await processingFile(user);
    const published = [
      ev(uuid, 'thumbnail', 'processing'),
      ev(other, 'thumbnail', 'completed'), // another file's: never delivered here
      ev(uuid, 'thumbnail', 'completed'),
      ev(uuid, 'medium', 'processing'),
      ev(uuid, 'medium', 'failed', 'unsupported format'),
      ev(uuid, null, 'active'),
      ev(uuid, 'late', 'completed'), // after the end: not delivered
    ];
    for (const e of published) await app.services.fileEvents.publish(e);
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push(await stream.event());
    expect(seen.map(brief)).toEqual([
      ['thumbnail', 'processing', null, false],
      ['thumbnail', 'completed', null, false],
      ['medium', 'processing', null, false],
      ['medium', 'failed', 'unsupported format', false],
      [null, 'active', null, true],
    ]);
    expect(seen.map((e) => e.at)).toEqual(published.filter((e) => e.fileUuid === uuid).slice(0, 5).map((e) => e.at));
    await stream.completes();
  });

  test('a file that is already done: its state, then the end at once', async () => {
    const uuid = await processingFile(user, { thumbnail: 'completed', small: 'failed' }, 'active');
    const stream = await subscribe(app, uuid, user.headers);
    expect((await Promise.all([stream.event(), stream.event(), stream.event()])).map(brief)).toEqual([
      ['small', 'failed', null, false],
      ['thumbnail', 'completed', null, false],
      [null, 'active', null, true],
    ]);
    await stream.completes();
  });

  test('the stored state tells why a variant or the file failed', async () => {
    const uuid = await processingFile(user, { thumbnail: 'failed', small: 'completed' }, 'failed');
    await backend.database.prisma.file.update({
      where: { uuid },
      data: { metadata: { processing_error: 'not a readable image: truncated', variant_errors: { thumbnail: 'truncated' } } },
    });
    const stream = await subscribe(app, uuid, user.headers);
    expect((await Promise.all([stream.event(), stream.event(), stream.event()])).map(brief)).toEqual([
      ['small', 'completed', null, false],
      ['thumbnail', 'failed', 'truncated', false],
      [null, 'failed', 'not a readable image: truncated', true],
    ]);
    await stream.completes();
  });

  test('a done file queued again (regenerateVariants) is followed until that run ends', async () => {
    await app.services.jobs.register(jobDefinitions(app.services), false); // the queues, without handlers
    const uuid = await processingFile(user, { thumbnail: 'completed' }, 'active');
    const queued = await app.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...owner.headers },
      body: JSON.stringify({
        query: 'mutation($uuid: UUID!) { regenerateVariants(input: { fileUuid: $uuid }) { __typename ... on MutationRegenerateVariantsSuccess { data { queued } } } }',
        variables: { uuid },
      }),
    });
    expect(await queued.json()).toEqual({ data: { regenerateVariants: { __typename: 'MutationRegenerateVariantsSuccess', data: { queued: 1 } } } });
    const stream = await subscribe(app, uuid, user.headers);
    // the stored state, not final: a run is queued (no handler runs here; the test publishes the run's events)
    expect((await Promise.all([stream.event(), stream.event()])).map(brief)).toEqual([
      ['thumbnail', 'completed', null, false],
      [null, 'active', null, false],
    ]);
    for (const e of [ev(uuid, 'thumbnail', 'processing'), ev(uuid, 'thumbnail', 'completed'), ev(uuid, null, 'active')]) {
      await app.services.fileEvents.publish(e);
    }
    expect((await Promise.all([stream.event(), stream.event(), stream.event()])).map(brief)).toEqual([
      ['thumbnail', 'processing', null, false],
      ['thumbnail', 'completed', null, false],
      [null, 'active', null, true],
    ]);
    await stream.completes();
  });

  test('only the owner and admins may watch a file; others are told it does not exist', async () => {
    const uuid = await processingFile(user);
    const errorOf = async (headers?: Record<string, string>) => {
      const stream = await subscribe(app, uuid, headers);
      const message = await stream.next();
      if (message === 'end') throw new Error('no message');
      await stream.completes();
      return (JSON.parse(message.data) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code;
    };
    expect(await errorOf()).toBe('UNAUTHENTICATED');
    expect(await errorOf(stranger.headers)).toBe('NOT_FOUND');
    const missing = await subscribe(app, '0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b', user.headers);
    const gone = await missing.next();
    expect(gone !== 'end' && JSON.parse(gone.data).errors[0].extensions.code).toBe('NOT_FOUND');

    const watched = await subscribe(app, uuid, owner.headers);
    expect(brief(await watched.event())).toEqual([null, 'processing', null, false]);
    await app.services.fileEvents.publish(ev(uuid, null, 'failed', 'every variant failed'));
    expect(brief(await watched.event())).toEqual([null, 'failed', 'every variant failed', true]);
    await watched.completes();
  });

  test('a final event that never arrives: the periodic re-read still ends the stream', async () => {
    const uuid = await processingFile(user, { thumbnail: 'processing' });
    const stream = fileProcessingStream({ db: backend.database.prisma, events: app.services.fileEvents, fileUuid: uuid, recheckMs: 100 });
    const seen: Array<[string | null, string]> = [];
    const done = (async () => {
      for await (const e of stream) seen.push([e.variant, e.status]);
    })();
    // the job finishes but its events are lost (a dropped connection, a crashed publisher)
    await new Promise((r) => setTimeout(r, 150));
    await backend.database.prisma.fileInstance.updateMany({ where: { fileUuid: uuid }, data: { processingStatus: 'completed' } });
    await backend.database.prisma.file.update({ where: { uuid }, data: { status: 'active' } });
    await done;
    expect(seen).toEqual([
      ['thumbnail', 'processing'],
      [null, 'processing'],
      ['thumbnail', 'completed'],
      [null, 'active'],
    ]);
  });

  test('a client that goes away ends its subscription', async () => {
    const uuid = await processingFile(user);
    const controller = new AbortController();
    const stream = fileProcessingStream({ db: backend.database.prisma, events: app.services.fileEvents, fileUuid: uuid, signal: controller.signal });
    expect((await stream.next()).value).toMatchObject({ variant: null, status: 'processing' });
    const pending = stream.next();
    controller.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  if (name === 'postgres') {
    describe('a worker in another process', () => {
      let worker: { app: App; backend: Backend };

      beforeAll(async () => {
        const database = await openPostgres(backend.database.url!, 2, { prefix: 'public' });
        const other = withCleanups({ database, queries: [], close: () => database.close() });
        worker = { app: createTestApp(other, { env: { DATA_DIR: dataDir } }), backend: other };
      });
      afterAll(() => worker.backend.close());

      const listeners = async () =>
        Number(
          (
            await backend.database.sql.query<{ n: string }>(
              `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
              [FILE_EVENTS_APPLICATION_NAME],
            )
          )[0]?.n,
        );

      test('events published by the worker reach the server subscription through NOTIFY, in order, then it completes', async () => {
        const uuid = await processingFile(user);
        const stream = await subscribe(app, uuid, user.headers);
        expect(brief(await stream.event())).toEqual([null, 'processing', null, false]);
        // the worker only publishes: it never opens a LISTEN connection of its own
        expect(await listeners()).toBe(1);

        const variants = Array.from({ length: 12 }, (_, i) => `v${String(i).padStart(2, '0')}`);
        const published = [
          ...variants.flatMap((v) => [ev(uuid, v, 'processing'), ev(uuid, v, 'completed')]),
          ev(uuid, null, 'active'),
        ];
        // fired without waiting for each other, as concurrent variant tasks would: the order of the calls is kept
        await Promise.all(published.map((e) => worker.app.services.fileEvents.publish(e)));
        const seen = [];
        for (let i = 0; i < published.length; i++) seen.push(await stream.event());
        expect(seen.map((e) => [e.variant, e.status, e.at])).toEqual(published.map((e) => [e.variant, e.status, e.at]));
        expect(seen.at(-1)!.final).toBe(true);
        await stream.completes();
      });

      test('the real pipeline run by the worker: the server subscription follows it to the end', async () => {
        const image = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#3366aa' } }).jpeg().toBuffer();
        const form = new FormData();
        form.set('operations', JSON.stringify({ query: print(UploadDocument), variables: { input: { file: null } } }));
        form.set('map', JSON.stringify({ 0: ['variables.input.file'] }));
        form.set('0', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'pipeline.jpg');
        const response = await app.fetch('http://localhost/graphql', {
          method: 'POST',
          headers: { accept: 'application/json', ...user.headers },
          body: form,
        });
        const uploaded = ((await response.json()) as ExecutionResult<FileEventsUploadMutation>).data?.uploadFile;
        if (uploaded?.__typename !== 'MutationUploadFileSuccess') throw new Error(`upload failed: ${JSON.stringify(uploaded)}`);
        const { uuid, status } = uploaded.data.file;
        expect(status).toBe('processing'); // queued; no handler runs in this test server
        const stream = await subscribe(app, uuid, user.headers);
        expect(brief(await stream.event())).toEqual([null, 'processing', null, false]);

        await worker.app.services.media.runJob({ fileUuid: uuid });
        const seen: Progress[] = [];
        for (;;) {
          const e = await stream.event(30_000);
          seen.push(e);
          if (e.final) break;
        }
        await stream.completes();
        expect(seen.at(-1)).toMatchObject({ variant: null, status: 'active', final: true });
        const stored = await backend.database.prisma.fileInstance.findMany({ where: { fileUuid: uuid, variantName: { not: 'original' } } });
        expect(stored.length).toBeGreaterThan(0);
        // every variant's last event is its stored status
        const last = new Map(seen.filter((e) => e.variant !== null).map((e) => [e.variant, e.status]));
        expect(Object.fromEntries(last)).toEqual(Object.fromEntries(stored.map((i) => [i.variantName, i.processingStatus])));
      });

      test('the listener reconnects after its connection is killed, and events flow again', async () => {
        const uuid = await processingFile(user);
        const stream = await subscribe(app, uuid, user.headers);
        expect(brief(await stream.event())).toEqual([null, 'processing', null, false]);
        expect(await listeners()).toBe(1);
        await backend.database.sql.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
          [FILE_EVENTS_APPLICATION_NAME],
        );
        const until = async (check: () => Promise<boolean>, what: string) => {
          const deadline = Date.now() + 10_000;
          while (!(await check())) {
            if (Date.now() > deadline) throw new Error(what);
            await new Promise((r) => setTimeout(r, 20));
          }
        };
        await until(async () => !isListening(app), 'the loss was not noticed');
        await until(async () => isListening(app) && (await listeners()) === 1, 'the listener did not come back');
        await worker.app.services.fileEvents.publish(ev(uuid, 'thumbnail', 'completed'));
        await worker.app.services.fileEvents.publish(ev(uuid, null, 'active'));
        expect(brief(await stream.event())).toEqual(['thumbnail', 'completed', null, false]);
        expect(brief(await stream.event())).toEqual([null, 'active', null, true]);
        await stream.completes();
      });

      test('the same notifications do not cross prefixes, and malformed ones are ignored', async () => {
        const uuid = await processingFile(user);
        const stream = await subscribe(app, uuid, user.headers);
        await stream.event();
        const sql = worker.backend.database.sql;
        await sql.query(`SELECT pg_notify('phoenix_kit_file_events_tenant_b', $1)`, [`x|${JSON.stringify([uuid, null, 'failed', null, at()])}`]);
        await sql.query(`SELECT pg_notify('phoenix_kit_file_events_public', $1)`, [`x|not json`]);
        await sql.query(`SELECT pg_notify('phoenix_kit_file_events_public', $1)`, [`x|${JSON.stringify([uuid, null, 'exploded', null, at()])}`]);
        await worker.app.services.fileEvents.publish(ev(uuid, null, 'active'));
        expect(brief(await stream.event())).toEqual([null, 'active', null, true]);
        await stream.completes();
      });
    });
  }
});

const isListening = (app: App) => (app.services.fileEvents as { isListening?: () => boolean }).isListening?.() ?? false;
