import { pdfInfoFromText, type PdfInfo } from './domain/probe.js';
import { runTool, type ToolPaths } from './media-tools.js';

/** Page count, title, author … of a PDF (pdfinfo). */
export async function readPdfInfo(tools: ToolPaths, path: string, timeoutMs: number): Promise<PdfInfo> {
  const out = await runTool(tools, 'pdfinfo', [path], { timeoutMs, maxStdout: 1024 * 1024 });
  return pdfInfoFromText(out.toString('utf8'));
}

/** Longest side of a rendered page: a huge MediaBox must not make a huge raster. */
export const MAX_PAGE_PIXELS_SIDE = 4096;
const DPI = 150;
/**
 * Longest a page may take to render: one page at 150 dpi takes seconds; a page drawn in loops (forms drawing forms,
 * 2^40 times in a few kilobytes) would hold the media queue for the tools' whole timeout.
 */
export const PAGE_RENDER_TIMEOUT_MS = 120_000;

/**
 * Renders the first page's CropBox (what a reader sees, and the size pdfinfo reports) to `<outBase>.png` at 150 dpi
 * (reference §2.9), or scaled down so its longest side stays within MAX_PAGE_PIXELS_SIDE when the page size says it
 * would not (unknown page size: scaled to that bound).
 */
export async function renderFirstPage(tools: ToolPaths, path: string, outBase: string, info: PdfInfo | null, timeoutMs: number) {
  const w = info?.page_width_pts;
  const h = info?.page_height_pts;
  const fits = w !== undefined && h !== undefined && (Math.max(w, h) * DPI) / 72 <= MAX_PAGE_PIXELS_SIDE;
  const scale = fits ? ['-r', String(DPI)] : ['-scale-to', String(MAX_PAGE_PIXELS_SIDE)];
  await runTool(tools, 'pdftoppm', ['-png', '-cropbox', '-f', '1', '-l', '1', '-singlefile', ...scale, path, outBase], {
    timeoutMs: Math.min(timeoutMs, PAGE_RENDER_TIMEOUT_MS),
  });
  return `${outBase}.png`;
}
