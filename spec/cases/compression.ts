// Section 12: permessage-deflate with the default offer (RFC 7692 §7): compressed messages of
// Autobahn's sizes, echoed, for five kinds of data. 12.1 JSON, 12.2 a bitmap, 12.3 German text,
// 12.4 HTML, 12.5 a PDF-like file; in each group cases 1-10 grow the message from 16 bytes to
// 128 KiB, cases 11-18 auto-fragment the compressed payload into frames of 256 to 32768 bytes.
import type { CaseDef } from '../case.js';
import { formatOffer } from '../extensions.js';
import { DATA_SETS } from './compression-data.js';
import { acceptFirst, compressionGroup, offer } from './compression-run.js';

const DEFAULT_OFFER = offer();

export const compressionCases: CaseDef[] = DATA_SETS.flatMap((data, g) =>
  compressionGroup({
    prefix: `12.${g + 1}`,
    data,
    negotiation: { offers: [DEFAULT_OFFER], accept: acceptFirst() },
    describe: `Use default permessage-deflate offer ("${formatOffer(DEFAULT_OFFER)}").`,
  }),
);
