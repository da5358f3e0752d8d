import { builder } from '../../graphql/builder.js';
import { urlExpiresAt } from '../files/file.graphql.js';
import { manifestName } from './domain/dzi.js';
import { DZI_VARIANT } from './tile-http.js';
import { TILE_SETTING } from './tile.service.js';

/** Raster images only (SVG is never rasterised for tiles), and not one processing found unreadable. */
const isTileable = (file: { mimeType: string; systemManaged: boolean; status: string }) =>
  !file.systemManaged && file.mimeType.startsWith('image/') && file.mimeType !== 'image/svg+xml' && file.status !== 'failed';

builder.prismaObjectField('File', 'dziUrl', (t) =>
  t.string({
    nullable: true,
    description:
      'Token URL of the Deep Zoom (DZI) manifest of an image; its tiles are served under the same token. Null unless ' +
      'setting storage_tile_generation_enabled is "true" and the file is an image that processing has not found ' +
      'unreadable (status failed). Tiles are made on first request.',
    args: { expiresInSeconds: t.arg.int({ description: '1 s to 1 year; omitted: no expiry.' }) },
    select: { uuid: true, mimeType: true, systemManaged: true, status: true },
    resolve: async (file, { expiresInSeconds }, ctx) => {
      const expiresAt = urlExpiresAt(expiresInSeconds);
      if (!isTileable(file) || !(await ctx.services.settings.getBoolean(TILE_SETTING))) return null;
      const base = ctx.services.fileUrls.url(file.uuid, DZI_VARIANT, expiresAt);
      return `${base}/${manifestName(file.uuid.toLowerCase())}`;
    },
  }),
);
