// Section 13: permessage-deflate parameters (RFC 7692 §7.1), each group Autobahn's sizes with the
// JSON data. In server mode the suite offers the group's offers and the server answers; in client
// mode the client offers and the suite answers as Autobahn's fuzzing server does for the group.
// The numbers are Autobahn's notation: (no context takeover, max window bits), 0 bits = absent.
import type { CaseDef, DeflateNegotiation } from '../case.js';
import { formatOffer, type DeflateParams } from '../extensions.js';
import { DATA_SETS } from './compression-data.js';
import { acceptFirst, compressionGroup, offer } from './compression-run.js';

type Accept = DeflateNegotiation['accept'];

/** Autobahn's accept7: the first of these accepts that accepts. */
const firstOf = (...accepts: Accept[]): Accept => (offers) => {
  for (const a of accepts) {
    const r = a(offers);
    if (r) return r;
  }
  return null;
};

const accept1 = acceptFirst();
const accept2 = acceptFirst({ noContextTakeover: true });
const accept5 = acceptFirst({ noContextTakeover: true, maxWindowBits: 9 });

const GROUPS: { offers: DeflateParams[]; accept: Accept; accepts: string }[] = [
  { offers: [offer()], accept: accept1, accepts: '[(False, 0)]' },
  { offers: [offer(true)], accept: accept2, accepts: '[(True, 0)]' },
  { offers: [offer(false, 9)], accept: acceptFirst({ maxWindowBits: 9 }), accepts: '[(False, 9)]' },
  { offers: [offer(false, 15)], accept: acceptFirst({ maxWindowBits: 15 }), accepts: '[(False, 15)]' },
  { offers: [offer(true, 9)], accept: accept5, accepts: '[(True, 9)]' },
  { offers: [offer(true, 15)], accept: acceptFirst({ noContextTakeover: true, maxWindowBits: 15 }), accepts: '[(True, 15)]' },
  { offers: [offer(true, 9), offer(true), offer()], accept: firstOf(accept5, accept2, accept1), accepts: '[(True, 9), (True, 0), (False, 0)]' },
];

const tuple = (o: DeflateParams): string => `(${o.serverNoContextTakeover ? 'True' : 'False'}, ${o.serverMaxWindowBits ?? 0})`;

export const compressionParamCases: CaseDef[] = GROUPS.flatMap((g, i) =>
  compressionGroup({
    prefix: `13.${i + 1}`,
    data: DATA_SETS[0],
    negotiation: { offers: g.offers, accept: g.accept },
    describe: `Use permessage-deflate client offers (server_no_context_takeover, server_max_window_bits): [${g.offers.map(tuple).join(', ')}]`
      + ` ("${g.offers.map(formatOffer).join(', ')}") / server accept (client_no_context_takeover, client_max_window_bits): ${g.accepts}.`,
  }),
);
