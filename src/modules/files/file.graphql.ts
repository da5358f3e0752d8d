import { builder } from '../../graphql/builder.js';
import { selectingSomething } from '../../graphql/query.js';

/** Byte counts are bigint columns; Float carries them exactly up to 2^53. */
const bytes = (value: bigint | null) => (value === null ? null : Number(value));

builder.prismaNode('Bucket', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    name: t.exposeString('name'),
    provider: t.exposeString('provider'),
    region: t.exposeString('region', { nullable: true }),
    endpoint: t.exposeString('endpoint', { nullable: true }),
    bucketName: t.exposeString('bucketName', { nullable: true }),
    cdnUrl: t.exposeString('cdnUrl', { nullable: true }),
    enabled: t.exposeBoolean('enabled'),
    priority: t.exposeInt('priority'),
    maxSizeMb: t.float({ nullable: true, resolve: (b) => bytes(b.maxSizeMb) }),
    accessType: t.exposeString('accessType'),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaNode('StorageDimension', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    name: t.exposeString('name'),
    width: t.exposeInt('width', { nullable: true }),
    height: t.exposeInt('height', { nullable: true }),
    quality: t.exposeInt('quality'),
    format: t.exposeString('format', { nullable: true }),
    appliesTo: t.exposeString('appliesTo'),
    enabled: t.exposeBoolean('enabled'),
    order: t.exposeInt('order'),
    maintainAspectRatio: t.exposeBoolean('maintainAspectRatio'),
    alternativeFormats: t.exposeStringList('alternativeFormats'),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaNode('FileLocation', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    path: t.exposeString('path'),
    status: t.exposeString('status'),
    priority: t.exposeInt('priority'),
    lastVerifiedAt: t.expose('lastVerifiedAt', { type: 'DateTime', nullable: true }),
    bucket: t.relation('bucket'),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaNode('FileInstance', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    variantName: t.exposeString('variantName'),
    fileName: t.exposeString('fileName'),
    mimeType: t.exposeString('mimeType'),
    ext: t.exposeString('ext'),
    checksum: t.exposeString('checksum'),
    size: t.float({ resolve: (i) => Number(i.size) }),
    width: t.exposeInt('width', { nullable: true }),
    height: t.exposeInt('height', { nullable: true }),
    processingStatus: t.exposeString('processingStatus'),
    locations: t.relation('locations', { query: { orderBy: [{ priority: 'asc' }, { uuid: 'asc' }] } }),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaNode('File', {
  id: { field: 'uuid' },
  fields: (t) => ({
    uuid: t.expose('uuid', { type: 'UUID' }),
    originalFileName: t.exposeString('originalFileName'),
    fileName: t.exposeString('fileName'),
    filePath: t.exposeString('filePath', { nullable: true }),
    mimeType: t.exposeString('mimeType'),
    fileType: t.exposeString('fileType'),
    ext: t.exposeString('ext'),
    fileChecksum: t.exposeString('fileChecksum'),
    userFileChecksum: t.exposeString('userFileChecksum'),
    size: t.float({ resolve: (f) => Number(f.size) }),
    width: t.exposeInt('width', { nullable: true }),
    height: t.exposeInt('height', { nullable: true }),
    duration: t.exposeInt('duration', { nullable: true }),
    status: t.exposeString('status'),
    metadata: t.expose('metadata', { type: 'JSON', nullable: true }),
    trashedAt: t.expose('trashedAt', { type: 'DateTime', nullable: true }),
    systemManaged: t.exposeBoolean('systemManaged'),
    user: t.relation('user', { nullable: true }),
    parentFile: t.relation('parent', { nullable: true }),
    instances: t.relation('instances', { query: { orderBy: { variantName: 'asc' } } }),
    commentMedia: t.relation('commentMedia', { query: { orderBy: { uuid: 'asc' } } }),
    insertedAt: t.expose('insertedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  buckets: t.withAuth({ admin: true }).prismaConnection({
    type: 'Bucket',
    cursor: 'uuid',
    resolve: (query, _root, _args, ctx) =>
      ctx.db.bucket.findMany({ ...selectingSomething(query), relationLoadStrategy: 'join', orderBy: [{ priority: 'asc' }, { uuid: 'asc' }] }),
  }),
  storageDimensions: t.withAuth({ viewer: true }).prismaConnection({
    type: 'StorageDimension',
    cursor: 'uuid',
    resolve: (query, _root, _args, ctx) =>
      ctx.db.storageDimension.findMany({ ...selectingSomething(query), relationLoadStrategy: 'join', orderBy: [{ order: 'asc' }, { uuid: 'asc' }] }),
  }),
  file: t.withAuth({ viewer: true }).prismaField({
    type: 'File',
    nullable: true,
    description: "One of the viewer's files (any file for admins); null when missing or not visible.",
    args: { uuid: t.arg({ type: 'UUID', required: true }) },
    resolve: (query, _root, { uuid }, ctx) =>
      ctx.db.file.findFirst({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: { uuid, systemManaged: false, ...(ctx.viewer.isAdmin ? {} : { userUuid: ctx.viewer.uuid }) },
      }),
  }),
  files: t.withAuth({ viewer: true }).prismaConnection({
    type: 'File',
    cursor: 'uuid',
    description: "The viewer's files (all users' for admins), newest first.",
    resolve: (query, _root, _args, ctx) =>
      ctx.db.file.findMany({
        ...selectingSomething(query),
        relationLoadStrategy: 'join',
        where: { systemManaged: false, ...(ctx.viewer.isAdmin ? {} : { userUuid: ctx.viewer.uuid }) },
        orderBy: { uuid: 'desc' },
      }),
  }),
}));
