/** A storage dimension's writable values (the row without uuid and timestamps). */
export type DimensionValues = {
  name: string;
  appliesTo: 'image' | 'video' | 'both';
  width: number;
  height: number | null;
  quality: number;
  format: string | null;
  enabled: boolean;
  order: number;
  maintainAspectRatio: boolean;
  alternativeFormats: string[];
};

const preset = (
  name: string,
  appliesTo: DimensionValues['appliesTo'],
  width: number,
  height: number,
  quality: number,
  format: string,
  order: number,
): DimensionValues => ({ name, appliesTo, width, height, quality, format, enabled: true, order, maintainAspectRatio: true, alternativeFormats: [] });

/** The 8 presets the original seeds and `resetStorageDimensions` restores (reference §2.3, same as migration V20). */
export const DEFAULT_DIMENSIONS: readonly DimensionValues[] = [
  preset('thumbnail', 'image', 150, 150, 85, 'jpg', 1),
  preset('small', 'image', 300, 300, 85, 'jpg', 2),
  preset('medium', 'image', 800, 600, 85, 'jpg', 3),
  preset('large', 'image', 1920, 1080, 85, 'jpg', 4),
  preset('360p', 'video', 640, 360, 28, 'mp4', 5),
  preset('720p', 'video', 1280, 720, 28, 'mp4', 6),
  preset('1080p', 'video', 1920, 1080, 28, 'mp4', 7),
  preset('video_thumbnail', 'video', 640, 360, 85, 'jpg', 8),
];
