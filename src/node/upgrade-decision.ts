/**
 * The application's say in an opening handshake (RFC 6455 §4.2.2: the server may refuse, and
 * it chooses the subprotocol): `handleProtocols` and `verifyClient`, run with `ws`'s signatures.
 *
 * A hook that throws, rejects, or answers nonsense never reaches the process or the peer: the
 * client gets a generic 500 with no internal text, and the error goes to `onHookError`.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { formatHeaderLines, type OutgoingHeaders } from '../protocol/http-head.js';
import type { HandshakeOffer } from '../protocol/server-protocol.js';
import type { OriginPolicy } from './origin-policy.js';

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
  /** `allowedOrigins`, checked before any hook runs (403). */
  origins: OriginPolicy | null;
  /** Bounds the `verifyClient` calls waiting at once (admission.ts); 503 beyond. */
  verifications: VerificationGate | null;
}

export interface VerificationGate {
  beginVerification(address: string | undefined): boolean;
  endVerification(): void;
}

export type UpgradeDecision =
  | { accept: true; protocol: string | undefined }
  | { accept: false; status: number; reason: string; headers?: OutgoingHeaders };

/** Which hook failed, and how (the application hears of it; the client only gets a 500). */
export type HookErrorReport = (error: Error, hook: 'handleProtocols' | 'verifyClient') => void;

const INTERNAL_ERROR: UpgradeDecision = { accept: false, status: 500, reason: 'Internal Server Error' };
const FORBIDDEN_ORIGIN: UpgradeDecision = { accept: false, status: 403, reason: 'Origin not allowed' };
const TOO_MANY_VERIFICATIONS: UpgradeDecision = { accept: false, status: 503, reason: 'Too many handshakes waiting to be verified' };

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
  // CSWSH (origin-policy.ts): refused before the application's hooks spend anything on it.
  if (hooks.origins !== null && !hooks.origins.allows(headerString(request.headers.origin), headerString(request.headers.host))) {
    done(FORBIDDEN_ORIGIN);
    return;
  }
  const verify = hooks.verifyClient;
  if (verify === undefined) {
    done(chooseProtocol(hooks.handleProtocols, request, offer, onHookError));
    return;
  }
  if (hooks.verifications !== null && !hooks.verifications.beginVerification(request.socket?.remoteAddress)) {
    done(TOO_MANY_VERIFICATIONS);
    return;
  }
  verifyClient(verify, request, hooks.timeout, onHookError, (verdict) => {
    hooks.verifications?.endVerification();
    const decision = toDecision(verdict, onHookError);
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
  let inCall = true;
  let early: VerifyClientResult | UpgradeDecision | undefined;
  let timer: NodeJS.Timeout | null = null;
  const once = (verdict: VerifyClientResult | UpgradeDecision): void => {
    if (settled) return;
    settled = true;
    if (timer !== null) clearTimeout(timer);
    // An answer given during the call is acted on after it returns, outside its try: an error
    // thrown by what the answer sets off (a 'connection' listener) is not the hook's.
    if (inCall) early = verdict;
    else settle(verdict);
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
    // Reported even after an answer: the hook has a bug. The answer, once given, stands.
    if (settled) onHookError(toError(error), 'verifyClient');
    else failed(error);
  }
  inCall = false;
  if (settled) {
    settle(early!);
    return;
  }
  if (verify.length < 2 && !isThenable(result)) {
    once(result as VerifyClientResult);
    return;
  }
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

function toDecision(verdict: VerifyClientResult | UpgradeDecision, onHookError: HookErrorReport): UpgradeDecision {
  if (typeof verdict === 'object' && verdict !== null) {
    if ('accept' in verdict) return verdict;
    const status = Number(verdict.status);
    const { reason, headers } = verdict;
    if (Number.isInteger(status) && status >= 400 && status <= 599) {
      const problem = checkHeaders(headers);
      if (problem === null) return { accept: false, status, reason: typeof reason === 'string' ? reason : statusReason(status), headers };
      onHookError(problem, 'verifyClient');
      return INTERNAL_ERROR;
    }
    // A refusal with a status we cannot send (a verifyClient bug): refuse, do not guess.
    onHookError(new TypeError(`verifyClient refused with a status that is not one: ${String(verdict.status)}`), 'verifyClient');
    return INTERNAL_ERROR;
  }
  // As `ws`: any truthy answer accepts, a falsy one refuses with 401.
  return verdict ? { accept: true, protocol: undefined } : { accept: false, status: 401, reason: 'Unauthorized' };
}

/** Headers the application wants on a refusal: valid names and values only (CR/LF would inject). */
function checkHeaders(headers: unknown): Error | null {
  if (headers === undefined) return null;
  if (typeof headers !== 'object' || headers === null) return new TypeError('verifyClient gave headers that are not an object');
  try {
    formatHeaderLines(headers as OutgoingHeaders);
    return null;
  } catch (error) {
    return toError(error);
  }
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
