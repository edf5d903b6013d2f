/**
 * wsmith/inspect: RFC 6455 frames explained field by field (§5.2 layout, §5.3 masking, §5.4
 * fragmentation, §5.5 control frames, §7.4 close codes), with what a wsmith endpoint does with
 * them. The library behind `wsmith decode` and the frame trace.
 *
 *   import { describeFrames, formatDescription, parseHex } from 'wsmith/inspect';
 *   console.log(formatDescription(describeFrames(parseHex('81 05 48 65 6c 6c 6f'))));
 */
export { describeFrames } from './decoder.js';
export type { DescribeOptions, DescribedFrame, FrameStreamDescription } from './decoder.js';
export type { ReceiverAction } from './receiver-actions.js';
export type { DescribedError } from './failure.js';
export { formatDescription } from './report.js';
export { formatFrameLine } from './format.js';
export type { FrameSummary } from './summary.js';
export { parseHex } from './hex.js';
export { FrameTracer } from './tracer.js';
export type { Role } from './role.js';
