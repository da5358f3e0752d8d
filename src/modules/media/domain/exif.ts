/** EXIF as exif-reader parses it (only the parts we read). */
export type ParsedExif = Readonly<{
  Image?: Readonly<Record<string, unknown>>;
  Photo?: Readonly<Record<string, unknown>>;
  GPSInfo?: Readonly<Record<string, unknown>>;
}>;

export type ExifEssentials = {
  camera_make?: string;
  camera_model?: string;
  lens_model?: string;
  /** Local time the photo was taken, ISO 8601, with the offset when the camera recorded one. */
  taken_at?: string;
  orientation?: number;
  gps?: { latitude: number; longitude: number; altitude?: number };
};

const MAX_TEXT = 255;

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // camera strings are NUL-padded and sometimes full of control bytes
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean === '' ? undefined : clean.slice(0, MAX_TEXT);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** exif-reader turns the camera's local "YYYY:MM:DD HH:MM:SS" into a Date as if it were UTC; undo that. */
function localTime(value: unknown, offset: unknown): string | undefined {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) return undefined;
  const d = value;
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const tz = typeof offset === 'string' && /^[+-]\d{2}:\d{2}$/.test(offset.trim()) ? offset.trim() : '';
  return base + tz;
}

function degrees(value: unknown, ref: unknown, negative: string): number | undefined {
  if (!Array.isArray(value) || value.length === 0 || !value.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    return undefined;
  }
  const [d = 0, m = 0, s = 0] = value as number[];
  const abs = d + m / 60 + s / 3600;
  const sign = typeof ref === 'string' && ref.trim().toUpperCase() === negative ? -1 : 1;
  return Math.round(sign * abs * 1e7) / 1e7;
}

/**
 * The essentials kept in `files.metadata.exif`: camera, lens, when it was taken, orientation, and the position only
 * when the `storage_keep_gps_metadata` setting allows it (`keepGps`).
 */
export function exifEssentials(exif: ParsedExif | null, opts: { keepGps: boolean; orientation?: number | null }): ExifEssentials {
  const out: ExifEssentials = {};
  const image = exif?.Image ?? {};
  const photo = exif?.Photo ?? {};
  const make = text(image.Make);
  const model = text(image.Model);
  const lens = text(photo.LensModel);
  if (make) out.camera_make = make;
  if (model) out.camera_model = model;
  if (lens) out.lens_model = lens;
  const taken =
    localTime(photo.DateTimeOriginal, photo.OffsetTimeOriginal) ??
    localTime(photo.DateTimeDigitized, photo.OffsetTimeDigitized) ??
    localTime(image.DateTime, photo.OffsetTime);
  if (taken) out.taken_at = taken;
  const orientation = opts.orientation ?? (typeof image.Orientation === 'number' ? image.Orientation : undefined);
  if (orientation && Number.isInteger(orientation) && orientation >= 1 && orientation <= 8) out.orientation = orientation;
  if (opts.keepGps && exif?.GPSInfo) {
    const gps = exif.GPSInfo;
    const latitude = degrees(gps.GPSLatitude, gps.GPSLatitudeRef, 'S');
    const longitude = degrees(gps.GPSLongitude, gps.GPSLongitudeRef, 'W');
    if (latitude !== undefined && longitude !== undefined && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) {
      out.gps = { latitude, longitude };
      if (typeof gps.GPSAltitude === 'number' && Number.isFinite(gps.GPSAltitude)) {
        out.gps.altitude = gps.GPSAltitudeRef === 1 ? -gps.GPSAltitude : gps.GPSAltitude;
      }
    }
  }
  return out;
}
