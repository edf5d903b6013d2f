// The micro-benchmarks drive each library's protocol core through this one shape, so the same
// inputs, the same loop and the same checks run against ws's Receiver/Sender and wsmith's
// protocol/ Connection.

export interface ParserUnderTest {
  /** Feed bytes as a socket would deliver them (masked client frames, any chunking). */
  push(chunk: Buffer): void;
}

export interface ProtocolAdapter {
  /** A server-side parser: frame parsing, unmasking, message assembly and UTF-8 validation. */
  createParser(onMessage: (data: Buffer, isBinary: boolean) => void, onError: (error: Error) => void): ParserUnderTest;
  /** Encode one unmasked server frame (text or binary) ready to write; returns its bytes. */
  createEncoder(): (payload: Buffer, binary: boolean) => Buffer | Buffer[];
}
