import { describe, expect, test } from 'vitest';
import { initialStatusFor, processingKindOf } from './media-kind.js';

describe('processingKindOf / initialStatusFor', () => {
  test.each([
    ['jpeg', 'image', 'image/jpeg', false, 'image', 'processing'],
    ['png', 'image', 'image/png', false, 'image', 'processing'],
    ['animated png', 'image', 'image/apng', false, 'image', 'processing'],
    ['16-bit tiff', 'image', 'image/tiff', false, 'image', 'processing'],
    ['animated gif', 'image', 'image/gif', false, 'image', 'processing'],
    ['heic (not decodable here)', 'image', 'image/heic', false, null, 'active'],
    ['bmp', 'image', 'image/bmp', false, null, 'active'],
    ['mp4', 'video', 'video/mp4', false, 'video', 'processing'],
    ['webm', 'video', 'video/webm', false, 'video', 'processing'],
    ['pdf', 'document', 'application/pdf', false, 'pdf', 'processing'],
    ['docx', 'document', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', false, null, 'active'],
    ['plain text', 'document', 'text/plain', false, null, 'active'],
    ['audio', 'audio', 'audio/mpeg', false, null, 'active'],
    ['zip', 'archive', 'application/zip', false, null, 'active'],
    ['other', 'other', 'application/octet-stream', false, null, 'active'],
    ['a system-managed tile', 'image', 'image/jpeg', true, null, 'active'],
  ] as const)('%s', (_name, fileType, mimeType, systemManaged, kind, status) => {
    expect(processingKindOf({ fileType, mimeType, systemManaged })).toBe(kind);
    expect(initialStatusFor({ fileType, mimeType, systemManaged })).toBe(status);
  });
});
