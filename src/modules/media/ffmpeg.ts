import { stat } from 'node:fs/promises';
import { PermanentMediaError } from './domain/processing-errors.js';
import { audioInfoFromProbe, videoInfoFromProbe, type AudioInfo, type VideoInfo } from './domain/probe.js';
import type { Geometry, VideoVariantPlan } from './domain/plan-variants.js';
import { runTool, type ToolPaths } from './media-tools.js';

/** What ffprobe finds in a video container: a video, or sound alone (browsers record voice memos as audio-only WebM). */
export type ProbedMedia = { kind: 'video'; info: VideoInfo } | { kind: 'audio'; info: AudioInfo };

/**
 * Width, height (as displayed), duration and codecs of a video, or the duration and codec of a container holding only
 * sound; PermanentMediaError when there is neither.
 */
export async function probeVideo(tools: ToolPaths, path: string, timeoutMs: number): Promise<ProbedMedia> {
  const out = await runTool(tools, 'ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path], {
    timeoutMs,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.toString('utf8'));
  } catch {
    throw new PermanentMediaError('ffprobe gave no readable answer');
  }
  const info = videoInfoFromProbe(parsed);
  if (info?.width && info.height) return { kind: 'video', info };
  const audio = info ? null : audioInfoFromProbe(parsed);
  if (audio) return { kind: 'audio', info: audio };
  throw new PermanentMediaError('not a readable video: no video stream');
}

/** scale (exact), optional crop, square pixels. */
function filterOf(g: Geometry): string {
  const parts = [`scale=${g.resize.width}:${g.resize.height}`];
  if (g.crop) parts.push(`crop=${g.crop.width}:${g.crop.height}:${g.crop.left}:${g.crop.top}`);
  parts.push('setsar=1');
  return parts.join(',');
}

const CODECS: Record<VideoVariantPlan['container'], string[]> = {
  mp4: ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', '-f', 'mp4'],
  mov: ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', '-f', 'mov'],
  webm: ['-c:v', 'libvpx-vp9', '-b:v', '0', '-deadline', 'good', '-cpu-used', '4', '-row-mt', '1', '-pix_fmt', 'yuv420p', '-c:a', 'libopus', '-b:a', '96k', '-f', 'webm'],
  avi: ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'avi'],
};

/**
 * Frames keep their own times (no frame is repeated to fill a gap: 3 frames 3 hours apart stay 3 frames, not 270,000
 * to encode), except in AVI, which has no frame times and so takes a constant rate.
 */
const FRAME_TIMING: Record<VideoVariantPlan['container'], string[]> = {
  mp4: ['-fps_mode', 'passthrough'],
  mov: ['-fps_mode', 'passthrough'],
  webm: ['-fps_mode', 'passthrough'],
  avi: [],
};

/**
 * Transcodes to the plan: first video and (if any) first audio stream, rotation applied by ffmpeg, exact size, the
 * plan's CRF; bit-exact muxing and no copied metadata, so the same input gives the same bytes.
 */
export async function transcodeVideo(tools: ToolPaths, input: string, plan: VideoVariantPlan, outPath: string, timeoutMs: number) {
  await runTool(
    tools,
    'ffmpeg',
    [
      '-nostdin', '-hide_banner', '-v', 'error', '-y', '-i', input,
      '-map', '0:v:0', '-map', '0:a:0?', '-vf', filterOf(plan), '-crf', String(plan.crf), ...FRAME_TIMING[plan.container],
      ...CODECS[plan.container],
      '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact', '-flags:a', '+bitexact',
      outPath,
    ],
    { timeoutMs },
  );
}

/**
 * One frame (as PNG, rotation applied) at `outPath`, for `video_thumbnail` and other image formats of a video: the one
 * at `seconds`, or the first when none decodes there (a clip cut short keeps a header promising frames it lost; ffmpeg
 * then writes nothing and still succeeds). PermanentMediaError when neither decodes.
 */
export async function extractFrame(tools: ToolPaths, input: string, seconds: number, outPath: string, timeoutMs: number) {
  for (const at of seconds > 0 ? [seconds, 0] : [0]) {
    await runTool(
      tools,
      'ffmpeg',
      ['-nostdin', '-hide_banner', '-v', 'error', '-y', '-ss', at.toFixed(3), '-i', input, '-frames:v', '1', '-c:v', 'png', '-f', 'image2', outPath],
      { timeoutMs },
    );
    if (await exists(outPath)) return;
  }
  throw new PermanentMediaError(`no frame of the video could be decoded (at ${seconds.toFixed(3)} s or at the start)`);
}

const exists = (path: string) => stat(path).then(
  (info) => info.size > 0,
  () => false,
);
