// Every case of the suite, in Autobahn's order.
import { compareIds, type CaseDef } from '../case.js';
import { closeCases } from './close.js';
import { compressionCases } from './compression.js';
import { compressionParamCases } from './compression-params.js';
import { fragmentationCases } from './fragmentation.js';
import { framingCases } from './framing.js';
import { h2HandshakeCases } from './h2-handshake.js';
import { handshakeCases } from './handshake.js';
import { autoFragmentationCases, limitCases } from './limits.js';
import { opcodeCases } from './opcodes.js';
import { pingCases } from './pings.js';
import { reservedBitsCases } from './reserved-bits.js';
import { utf8Cases } from './utf8.js';

export const ALL_CASES: readonly CaseDef[] = [
  ...handshakeCases,
  ...h2HandshakeCases,
  ...framingCases,
  ...pingCases,
  ...reservedBitsCases,
  ...opcodeCases,
  ...fragmentationCases,
  ...utf8Cases,
  ...closeCases,
  ...limitCases,
  ...autoFragmentationCases,
  ...compressionCases,
  ...compressionParamCases,
].sort((a, b) => compareIds(a.id, b.id));

export const SECTION_TITLES: Record<string, string> = {
  h2: 'Opening handshake over HTTP/2 (RFC 8441)',
  '0': 'Opening handshake',
  '1': 'Framing',
  '2': 'Pings/Pongs',
  '3': 'Reserved bits',
  '4': 'Opcodes',
  '5': 'Fragmentation',
  '6': 'UTF-8 handling',
  '7': 'Close handling',
  '9': 'Limits/Performance',
  '10': 'Auto-fragmentation',
  '12': 'Compression (permessage-deflate)',
  '13': 'Compression parameters',
};
