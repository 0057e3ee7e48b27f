import { inflateRawSync } from 'node:zlib';

/** Reading what the API answers as a zip archive (.docx), without a dependency. */

/** One file of a zip archive, read from its central directory (stored or deflated). */
export function unzipEntry(zip: Buffer, name: string): string | null {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) return null;
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < zip.readUInt16LE(eocd + 10); i++) {
    const [method, size, nameLen, extraLen, commentLen, local] = [
      zip.readUInt16LE(p + 10),
      zip.readUInt32LE(p + 20),
      zip.readUInt16LE(p + 28),
      zip.readUInt16LE(p + 30),
      zip.readUInt16LE(p + 32),
      zip.readUInt32LE(p + 42),
    ];
    if (zip.toString('utf8', p + 46, p + 46 + nameLen) === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  return null;
}
