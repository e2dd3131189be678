/**
 * What a protocol module (src/simulator/openai.ts, apiyi.ts, fal.ts, gemini.ts, kling.ts) gets from
 * the simulator server: its routes are plain `RouteDef`s, and `SimKit` carries
 * the shared job board, faults, stats, body parsing and video serving, so each
 * protocol file only describes its provider's shapes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { ActiveFault, FaultController, SimProtocol, SimRoute } from './faults.js';
import type { JobBoard, SimJob, SimJobFault } from './jobs.js';

export interface RecordedFile {
  field: string;
  fileName: string;
  type: string;
  size: number;
  /** Hex SHA-256 of the file's bytes: tests check which start image a job received. */
  sha256: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names, values as sent (this is a test fixture: auth headers are kept). */
  headers: Record<string, string>;
  json: unknown;
  fields: Record<string, string[]>;
  files: RecordedFile[];
}

export interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  protocol: SimProtocol;
  route: SimRoute;
  params: string[];
  record: RecordedRequest;
  /** Aborted when the client goes away or the simulator stops. */
  signal: AbortSignal;
}

export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface RouteDef {
  method: string;
  pattern: RegExp;
  protocol: SimProtocol;
  route: SimRoute;
  /** Reached without a key (signed media URLs, JWKS). */
  public?: boolean;
  handle(ctx: Context): Promise<void>;
}

export interface SimKit {
  clock: Clock;
  jobs: JobBoard;
  faults: FaultController;
  stats: { jobsCreated: number; charactersCreated: number };
  /** `http://127.0.0.1:PORT`, known once the server listens. */
  baseUrl(): string;
  /** Aborted when the simulator stops: background work (webhook senders) ends with it. */
  stopping: AbortSignal;
  /** How long result URLs (and OpenAI content after completion) stay downloadable. */
  resultTtlMs: number;
  sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void;
  sendText(res: ServerResponse, status: number, text: string): void;
  parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S>;
  /** Creates a job once per `idempotency-key` header (or `key`, when the protocol carries it in the body). */
  idempotent(ctx: Context, create: () => SimJob, key?: string): SimJob;
  jobFault(ctx: Context): SimJobFault | undefined;
  sendVideo(ctx: Context, job: SimJob, fault: ActiveFault | undefined): Promise<void>;
  signedUrl(path: string): string;
  signedUrlValid(url: URL): boolean;
  header(req: IncomingMessage, name: string): string | undefined;
}

export interface SimProtocolModule {
  protocol: SimProtocol;
  /** Path prefix, e.g. `/fal`: unknown paths under it answer in this protocol's error shape. */
  prefix: string;
  routes: RouteDef[];
  /** Throws HttpFailure(401) when the request's credentials are not acceptable. */
  authenticate(ctx: Context): void;
  /** This provider's error body. */
  errorBody(failure: HttpFailure): unknown;
}
