import { describe, expect, test } from 'vitest';
import { exifEssentials, type ParsedExif } from './exif.js';

const camera: ParsedExif = {
  Image: { Make: 'Canon\u0000\u0000', Model: ' EOS 5D ', Orientation: 6, DateTime: new Date('2024-01-02T03:04:05Z') },
  Photo: { DateTimeOriginal: new Date('2023-04-05T06:07:08Z'), OffsetTimeOriginal: '+02:00', LensModel: 'EF 50mm' },
  GPSInfo: {
    GPSLatitudeRef: 'N',
    GPSLatitude: [51, 30, 0],
    GPSLongitudeRef: 'W',
    GPSLongitude: [0, 7, 30],
    GPSAltitude: 12.5,
    GPSAltitudeRef: 0,
  },
};

describe('exifEssentials', () => {
  test.each<[string, ParsedExif | null, { keepGps: boolean; orientation?: number | null }, object]>([
    [
      'camera, lens, local time with offset, orientation; no position by default',
      camera,
      { keepGps: false },
      { camera_make: 'Canon', camera_model: 'EOS 5D', lens_model: 'EF 50mm', taken_at: '2023-04-05T06:07:08+02:00', orientation: 6 },
    ],
    [
      'the position when the setting allows it (south/west negative)',
      camera,
      { keepGps: true },
      {
        camera_make: 'Canon',
        camera_model: 'EOS 5D',
        lens_model: 'EF 50mm',
        taken_at: '2023-04-05T06:07:08+02:00',
        orientation: 6,
        gps: { latitude: 51.5, longitude: -0.125, altitude: 12.5 },
      },
    ],
    [
      'below sea level',
      { GPSInfo: { GPSLatitudeRef: 'S', GPSLatitude: [33, 52, 12], GPSLongitudeRef: 'E', GPSLongitude: [151, 12, 36], GPSAltitude: 3, GPSAltitudeRef: 1 } },
      { keepGps: true },
      { gps: { latitude: -33.87, longitude: 151.21, altitude: -3 } },
    ],
    [
      'no original time: the file time, without offset',
      { Image: { DateTime: new Date('2024-01-02T03:04:05Z') } },
      { keepGps: false },
      { taken_at: '2024-01-02T03:04:05' },
    ],
    ['orientation from the decoder wins', { Image: { Orientation: 1 } }, { keepGps: false, orientation: 8 }, { orientation: 8 }],
    ['nonsense is dropped', { Image: { Make: '\u0000', Orientation: 42, DateTime: new Date('x') }, GPSInfo: { GPSLatitude: 'x' } }, { keepGps: true }, {}],
    ['no EXIF at all', null, { keepGps: true }, {}],
  ])('%s', (_name, exif, opts, expected) => {
    expect(exifEssentials(exif, opts)).toEqual(expected);
  });
});
