// Prints each file's size raw, gzip -9 and brotli -11.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const file of process.argv.slice(2)) {
  const bytes = readFileSync(file);
  const gz = gzipSync(bytes, { level: 9 }).length;
  const br = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  console.log(`size: ${basename(file).padEnd(24)} raw ${kb(bytes.length).padStart(10)}  gzip ${kb(gz).padStart(9)}  brotli ${kb(br).padStart(9)}`);
}
