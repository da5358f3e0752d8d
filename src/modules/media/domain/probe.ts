/** What a file's metadata records about a video (from ffprobe's JSON). */
export type VideoInfo = {
  /** Displayed size: coded size with the rotation applied. */
  width: number | null;
  height: number | null;
  /** Seconds. */
  duration: number | null;
  video_codec: string | null;
  audio_codec: string | null;
  frame_rate: number | null;
  bit_rate: number | null;
  rotation: number;
};

type ProbeStream = {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  duration?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  tags?: Record<string, string>;
  side_data_list?: Array<{ rotation?: number }>;
  disposition?: { attached_pic?: number };
};
type ProbeOutput = { streams?: ProbeStream[]; format?: { duration?: string; bit_rate?: string } };

const positive = (value: unknown): number | null => {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
};

function rate(value: string | undefined): number | null {
  const [num, den] = (value ?? '').split('/').map(Number);
  if (!num || !den || !Number.isFinite(num / den)) return null;
  return Math.round((num / den) * 1000) / 1000;
}

/** Reads `ffprobe -print_format json -show_format -show_streams`; null when there is no video stream. */
export function videoInfoFromProbe(probe: unknown): VideoInfo | null {
  const out = (probe ?? {}) as ProbeOutput;
  const streams = Array.isArray(out.streams) ? out.streams : [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video) return null;
  const audio = streams.find((s) => s.codec_type === 'audio');
  const rawRotation = video.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ?? Number(video.tags?.rotate ?? 0);
  const rotation = ((Math.round(Number.isFinite(rawRotation) ? rawRotation : 0) % 360) + 360) % 360;
  const w = positive(video.width);
  const h = positive(video.height);
  const swap = rotation === 90 || rotation === 270;
  const duration = positive(out.format?.duration) ?? positive(video.duration);
  return {
    width: swap ? h : w,
    height: swap ? w : h,
    duration: duration === null ? null : Math.round(duration * 1000) / 1000,
    video_codec: video.codec_name ?? null,
    audio_codec: audio?.codec_name ?? null,
    frame_rate: rate(video.avg_frame_rate) ?? rate(video.r_frame_rate),
    bit_rate: positive(out.format?.bit_rate),
    rotation,
  };
}

/** What a file's metadata records about a video container holding sound only (a voice memo in WebM, an .m4a in MP4). */
export type AudioInfo = {
  /** Seconds. */
  duration: number | null;
  audio_codec: string | null;
  bit_rate: number | null;
};

/** Reads the same ffprobe output for a container without a video stream; null when it has no audio stream either. */
export function audioInfoFromProbe(probe: unknown): AudioInfo | null {
  const out = (probe ?? {}) as ProbeOutput;
  const streams = Array.isArray(out.streams) ? out.streams : [];
  const audio = streams.find((s) => s.codec_type === 'audio');
  if (!audio) return null;
  const duration = positive(out.format?.duration) ?? positive(audio.duration);
  return {
    duration: duration === null ? null : Math.round(duration * 1000) / 1000,
    audio_codec: audio.codec_name ?? null,
    bit_rate: positive(out.format?.bit_rate),
  };
}

/** What a file's metadata records about a PDF (from `pdfinfo`). */
export type PdfInfo = {
  page_count: number | null;
  title?: string;
  author?: string;
  creator?: string;
  producer?: string;
  created_at?: string;
  /** First page size in points (1/72 in). */
  page_width_pts?: number;
  page_height_pts?: number;
};

/** Reads `pdfinfo` output ("Key:   value" lines). */
export function pdfInfoFromText(output: string): PdfInfo {
  const fields = new Map<string, string>();
  for (const line of output.split(/\r?\n/)) {
    const match = /^([A-Za-z ]+):\s*(.*)$/.exec(line);
    if (match && !fields.has(match[1]!)) fields.set(match[1]!, match[2]!.trim());
  }
  const pages = Number.parseInt(fields.get('Pages') ?? '', 10);
  const info: PdfInfo = { page_count: Number.isInteger(pages) && pages >= 0 ? pages : null };
  const copy = (from: string, to: 'title' | 'author' | 'creator' | 'producer' | 'created_at') => {
    const value = fields.get(from)?.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 255);
    if (value) info[to] = value;
  };
  copy('Title', 'title');
  copy('Author', 'author');
  copy('Creator', 'creator');
  copy('Producer', 'producer');
  copy('CreationDate', 'created_at');
  const size = /^([\d.]+) x ([\d.]+) pts/.exec(fields.get('Page size') ?? '');
  if (size) {
    info.page_width_pts = Number(size[1]);
    info.page_height_pts = Number(size[2]);
  }
  return info;
}
