// The code section of a .wasm binary: the byte size of each function body.

function reader(bytes: Uint8Array) {
  let p = 0;
  const leb = (): number => {
    let r = 0;
    let shift = 0;
    let b: number;
    do {
      b = bytes[p++]!;
      r += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return r;
  };
  return { leb, at: () => p, seek: (q: number) => void (p = q) };
}

/** Sizes in bytes of the function bodies, in the code section's order. */
export function functionBodySizes(bytes: Uint8Array): number[] {
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error('not a wasm binary');
  const r = reader(bytes);
  r.seek(8);
  while (r.at() < bytes.length) {
    const id = bytes[r.at()]!;
    r.seek(r.at() + 1);
    const len = r.leb();
    const end = r.at() + len;
    if (id === 10) {
      const sizes: number[] = [];
      for (let n = r.leb(); n > 0; n--) {
        const size = r.leb();
        sizes.push(size);
        r.seek(r.at() + size);
      }
      return sizes;
    }
    r.seek(end);
  }
  throw new Error('no code section');
}
