/**
 * The bytes received and not yet parsed, kept as the chunks TCP delivered them in. RFC 6455
 * §5.2 frames span chunks freely (a header may be split at any byte), so the parser reads
 * across them; most of the time a frame lies inside one chunk and nothing is copied.
 */
export class ChunkQueue {
  /** The chunks, oldest first; the first one's unread bytes start at `offset`. */
  private chunks: Buffer[] = [];
  private offset = 0;
  /** Unread bytes in all chunks. */
  length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Forget everything (the parser stopped). */
  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.length = 0;
  }

  /** How many reads the unread bytes are spread over. */
  get chunkCount(): number {
    return this.chunks.length;
  }

  /** Unread bytes in the first chunk. */
  get firstAvailable(): number {
    return this.length === 0 ? 0 : this.chunks[0].length - this.offset;
  }

  /** The byte `index` positions past the front (the caller checks `length` first). */
  peekByte(index: number): number {
    let position = this.offset + index;
    for (let i = 0; i < this.chunks.length; i++) {
      const chunk = this.chunks[i];
      if (position < chunk.length) return chunk[position];
      position -= chunk.length;
    }
    return 0;
  }

  /** The first chunk and where its unread bytes start (read a header in place, no copy). */
  get first(): Buffer {
    return this.chunks[0];
  }

  get firstOffset(): number {
    return this.offset;
  }

  /** Copy the first `count` bytes, which span chunks, into `target` without consuming them. */
  copyFront(count: number, target: Buffer): Buffer {
    let copied = 0;
    for (let i = 0, from = this.offset; copied < count; i++, from = 0) {
      const chunk = this.chunks[i];
      const size = Math.min(count - copied, chunk.length - from);
      chunk.copy(target, copied, from, from + size);
      copied += size;
    }
    return target;
  }

  /** Consume and return up to `max` bytes from the first chunk, as a view (no copy). */
  takeFront(max: number): Buffer {
    const chunk = this.chunks[0];
    const available = chunk.length - this.offset;
    const size = available < max ? available : max;
    const piece = this.offset === 0 && size === chunk.length ? chunk : chunk.subarray(this.offset, this.offset + size);
    this.consume(size);
    return piece;
  }

  /** Consume `count` bytes from the front, across chunks. */
  skip(count: number): void {
    while (count > 0) {
      const size = Math.min(count, this.chunks[0].length - this.offset);
      this.consume(size);
      count -= size;
    }
  }

  private consume(count: number): void {
    this.length -= count;
    this.offset += count;
    if (this.offset === this.chunks[0].length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}
