import { describe, expect, test } from 'vitest';
import { audioInfoFromProbe, pdfInfoFromText, videoInfoFromProbe } from './probe.js';

const stream = (extra: object) => ({ codec_type: 'video', codec_name: 'h264', width: 1920, height: 1080, avg_frame_rate: '30000/1001', ...extra });

describe('videoInfoFromProbe', () => {
  test.each<[string, unknown, object | null]>([
    [
      'video and audio',
      { streams: [stream({}), { codec_type: 'audio', codec_name: 'aac' }], format: { duration: '12.3456', bit_rate: '800000' } },
      { width: 1920, height: 1080, duration: 12.346, video_codec: 'h264', audio_codec: 'aac', frame_rate: 29.97, bit_rate: 800000, rotation: 0 },
    ],
    [
      'a phone video rotated by its display matrix',
      { streams: [stream({ side_data_list: [{ rotation: -90 }] })], format: { duration: '2' } },
      { width: 1080, height: 1920, duration: 2, video_codec: 'h264', audio_codec: null, frame_rate: 29.97, bit_rate: null, rotation: 270 },
    ],
    [
      'an old-style rotate tag',
      { streams: [stream({ tags: { rotate: '90' }, avg_frame_rate: '0/0', r_frame_rate: '25/1' })], format: {} },
      { width: 1080, height: 1920, duration: null, video_codec: 'h264', audio_codec: null, frame_rate: 25, bit_rate: null, rotation: 90 },
    ],
    ['cover art is not a video', { streams: [stream({ disposition: { attached_pic: 1 } })] }, null],
    ['audio only', { streams: [{ codec_type: 'audio', codec_name: 'mp3' }] }, null],
    ['garbage', 'nonsense', null],
  ])('%s', (_name, probe, expected) => {
    expect(videoInfoFromProbe(probe)).toEqual(expected);
  });
});

describe('audioInfoFromProbe', () => {
  test.each<[string, unknown, object | null]>([
    [
      'a voice memo (Opus in WebM)',
      { streams: [{ codec_type: 'audio', codec_name: 'opus' }], format: { duration: '1.0215', bit_rate: '52000' } },
      { duration: 1.022, audio_codec: 'opus', bit_rate: 52000 },
    ],
    [
      'the duration of the stream when the container has none',
      { streams: [{ codec_type: 'audio', duration: '3.5' }] },
      { duration: 3.5, audio_codec: null, bit_rate: null },
    ],
    ['no audio stream', { streams: [{ codec_type: 'subtitle' }] }, null],
    ['garbage', 'nonsense', null],
  ])('%s', (_name, probe, expected) => {
    expect(audioInfoFromProbe(probe)).toEqual(expected);
  });
});

describe('pdfInfoFromText', () => {
  test('the fields of pdfinfo', () => {
    const out = [
      'Title:           Quarterly report',
      'Author:          A. Person',
      'Creator:         Writer',
      'Producer:        LibreOffice 7.0',
      'CreationDate:    Mon Jan  1 10:00:00 2024 UTC',
      'Pages:           12',
      'Page size:       595.276 x 841.89 pts (A4)',
    ].join('\n');
    expect(pdfInfoFromText(out)).toEqual({
      page_count: 12,
      title: 'Quarterly report',
      author: 'A. Person',
      creator: 'Writer',
      producer: 'LibreOffice 7.0',
      created_at: 'Mon Jan  1 10:00:00 2024 UTC',
      page_width_pts: 595.276,
      page_height_pts: 841.89,
    });
  });

  test('missing fields', () => {
    expect(pdfInfoFromText('Pages: x\n')).toEqual({ page_count: null });
  });
});
