/** `wsmith/inspect`: frames explained field by field (RFC 6455 §5.2), for `wsmith decode` and tracing. */
export { describeFrames, formatDescription, formatFrameLine, parseHex } from '../protocol/describe.js';
export type {
  DescribeOptions,
  DescribedError,
  DescribedFrame,
  FrameStreamDescription,
  FrameSummary,
  ReceiverAction,
} from '../protocol/describe.js';
