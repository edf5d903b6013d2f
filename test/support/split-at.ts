// Any chunking of a byte stream, for the properties that must hold however TCP cuts it.

/** Split `bytes` at the positions `cuts` (each taken modulo its length + 1), as copies. */
export function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(Buffer.from(bytes.subarray(from, point)));
    from = point;
  }
  pieces.push(Buffer.from(bytes.subarray(from)));
  return pieces;
}
