// busboy 1.x ships no types (and @types/busboy is not installed); the part of its API the bench baseline uses.
declare module 'busboy' {
  import type { IncomingHttpHeaders } from 'node:http';
  import type { Readable, Writable } from 'node:stream';

  namespace busboy {
    type Limits = { fieldSize?: number; fields?: number; fileSize?: number; files?: number; parts?: number };
    type Config = { headers: IncomingHttpHeaders; highWaterMark?: number; defParamCharset?: string; limits?: Limits };
    type FileInfo = { filename: string; encoding: string; mimeType: string };
    interface Busboy extends Writable {
      on(event: 'file', listener: (name: string, stream: Readable, info: FileInfo) => void): this;
      on(event: 'field', listener: (name: string, value: string, info: unknown) => void): this;
      on(event: 'close' | 'finish', listener: () => void): this;
      on(event: 'error', listener: (error: unknown) => void): this;
    }
  }
  function busboy(config: busboy.Config): busboy.Busboy;
  export default busboy;
}
