/**
 * The application's say in an opening handshake (RFC 6455 §4.2.2: the server may refuse, and
 * it chooses the subprotocol): `handleProtocols` and `verifyClient`, run with `ws`'s signatures.
 *
 * A hook that throws, rejects, or answers nonsense never reaches the process or the peer: the
 * client gets a generic 500 with no internal text, and the error goes to `onHookError`.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { OutgoingHeaders } from '../protocol/http-head.js';
import type { HandshakeOffer } from '../protocol/server-protocol.js';

/** What `verifyClient` may answer: accept, refuse with 401, or refuse with a status and reason. */
export type VerifyClientResult = boolean | { status: number; reason?: string; headers?: OutgoingHeaders };

/** What `ws` passes to `verifyClient`. */
export interface VerifyClientInfo {
  /** The Origin header (§10.2), if the client sent one. */
  origin: string | undefined;
  req: IncomingMessage;
  /** Did the request come over TLS? */
  secure: boolean;
}

/** `ws`'s asynchronous answer: `callback(result, code?, message?, headers?)`. */
export type VerifyClientCallback = (result: boolean, code?: number, message?: string, headers?: OutgoingHeaders) => void;

/**
 * `ws`'s two forms in one type: `(info) => result` (a boolean, wsmith also takes a refusal
 * `{ status, reason, headers }` or a promise of either), or `(info, callback) => void`, which
 * answers through `callback`. As in `ws`, the function's declared arity tells them apart.
 */
export type VerifyClient = (
  info: VerifyClientInfo,
  callback: VerifyClientCallback,
) => VerifyClientResult | PromiseLike<VerifyClientResult> | void;

/** Choose the subprotocol: one of `protocols`, or a falsy value (`false`) for none. */
export type HandleProtocols = (protocols: Set<string>, request: IncomingMessage) => string | false | null | undefined;

export interface UpgradeHooks {
  handleProtocols?: HandleProtocols;
  verifyClient?: VerifyClient;
  /** How long `verifyClient` may take (ms): then 408. */
  timeout: number;
}

export type UpgradeDecision =
  | { accept: true; protocol: string | undefined }
  | { accept: false; status: number; reason: string; headers?: OutgoingHeaders };

/** Which hook failed, and how (the application hears of it; the client only gets a 500). */
export type HookErrorReport = (error: Error, hook: 'handleProtocols' | 'verifyClient') => void;

const INTERNAL_ERROR: UpgradeDecision = { accept: false, status: 500, reason: 'Internal Server Error' };

/**
 * Run the hooks on a valid request, in `ws`'s order: `verifyClient`, then `handleProtocols`;
 * `done` is called exactly once, now or later.
 */
export function decideUpgrade(
  hooks: UpgradeHooks,
  request: IncomingMessage,
  offer: HandshakeOffer,
  onHookError: HookErrorReport,
  done: (decision: UpgradeDecision) => void,
): void {
  const verify = hooks.verifyClient;
  if (verify === undefined) {
    done(chooseProtocol(hooks.handleProtocols, request, offer, onHookError));
    return;
  }
  verifyClient(verify, request, hooks.timeout, onHookError, (verdict) => {
    const decision = toDecision(verdict);
    done(decision.accept ? chooseProtocol(hooks.handleProtocols, request, offer, onHookError) : decision);
  });
}

/**
 * The subprotocol (§4.2.2 item 5): `handleProtocols`' choice (a falsy answer for none), or, as
 * `ws` does without it, the first the client offered.
 */
function chooseProtocol(
  handleProtocols: HandleProtocols | undefined,
  request: IncomingMessage,
  offer: HandshakeOffer,
  onHookError: HookErrorReport,
): UpgradeDecision {
  if (offer.protocols.length === 0) return { accept: true, protocol: undefined };
  if (handleProtocols === undefined) return { accept: true, protocol: offer.protocols[0] };
  let chosen: unknown;
  try {
    chosen = handleProtocols(new Set(offer.protocols), request);
  } catch (error) {
    onHookError(toError(error), 'handleProtocols');
    return INTERNAL_ERROR;
  }
  if (!chosen) return { accept: true, protocol: undefined };
  // §4.2.2 item 5: the selected subprotocol must be one the client offered.
  if (typeof chosen !== 'string' || !offer.protocols.includes(chosen)) {
    onHookError(new Error(`handleProtocols chose a subprotocol the client did not offer: ${String(chosen)}`), 'handleProtocols');
    return INTERNAL_ERROR;
  }
  return { accept: true, protocol: chosen };
}

function verifyClient(
  verify: VerifyClient,
  request: IncomingMessage,
  timeout: number,
  onHookError: HookErrorReport,
  settle: (verdict: VerifyClientResult | UpgradeDecision) => void,
): void {
  const info: VerifyClientInfo = {
    origin: headerString(request.headers.origin),
    req: request,
    secure: Boolean((request.socket as Partial<TLSSocket> | null)?.authorized || (request.socket as Partial<TLSSocket> | null)?.encrypted),
  };
  let settled = false;
  let timer: NodeJS.Timeout | null = null;
  const once = (verdict: VerifyClientResult | UpgradeDecision): void => {
    if (settled) return;
    settled = true;
    if (timer !== null) clearTimeout(timer);
    settle(verdict);
  };
  const failed = (error: unknown): void => {
    if (settled) return;
    onHookError(toError(error), 'verifyClient');
    once(INTERNAL_ERROR);
  };
  let result: VerifyClientResult | PromiseLike<VerifyClientResult> | undefined;
  try {
    // `ws` tells the two forms apart by the function's arity.
    if (verify.length >= 2) {
      verify(info, (ok, code, message, headers) => {
        // As `ws`: a falsy result refuses, with 401 unless a code is given.
        once(ok ? true : { status: code || 401, reason: message || statusReason(code || 401), headers });
      });
    } else {
      result = (verify as (info: VerifyClientInfo) => VerifyClientResult | PromiseLike<VerifyClientResult>)(info);
    }
  } catch (error) {
    failed(error);
    return;
  }
  if (verify.length < 2 && !isThenable(result)) {
    once(result as VerifyClientResult);
    return;
  }
  if (settled) return;
  timer = setTimeout(() => once({ accept: false, status: 408, reason: 'Handshake timed out while verifying the client' }), timeout);
  timer.unref();
  if (isThenable(result)) {
    try {
      result.then(once, failed);
    } catch (error) {
      failed(error);
    }
  }
}

function toDecision(verdict: VerifyClientResult | UpgradeDecision): UpgradeDecision {
  if (typeof verdict === 'object' && verdict !== null) {
    if ('accept' in verdict) return verdict;
    const status = Number(verdict.status);
    if (Number.isInteger(status) && status >= 400 && status <= 599) {
      return { accept: false, status, reason: verdict.reason ?? statusReason(status), headers: verdict.headers };
    }
    // A refusal with a status we cannot send (a verifyClient bug): refuse, do not guess.
    return INTERNAL_ERROR;
  }
  // As `ws`: any truthy answer accepts, a falsy one refuses with 401.
  return verdict ? { accept: true, protocol: undefined } : { accept: false, status: 401, reason: 'Unauthorized' };
}

function statusReason(status: number): string {
  return STATUS_CODES[status] ?? 'Refused';
}

function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A promise or any promise-like (a thenable from another library). */
function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
