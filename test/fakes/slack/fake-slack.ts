/**
 * A fake Slack for the real Bolt app (https://api.slack.com/web): the Web API under
 * `/api/{method}`, the pre-signed upload URLs of files.uploadV2, private file
 * downloads that need the bot token, response_url endpoints, and a Socket
 * Mode WebSocket. Loopback only. Everything the bot sent is recorded so tests
 * can assert on Slack's side of the conversation.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { invalidBlocks, MessageBlocks, ModalView } from './blocks.js';

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  /** Real time the call arrived (ms since epoch). */
  at: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  text: string;
  blocks: unknown[];
  files: string[];
  edits: number;
  /** Message metadata (https://api.slack.com/metadata/using), returned only with `include_all_metadata`. */
  metadata?: Json;
}

export interface FakeUser {
  id: string;
  name: string;
  real_name?: string;
  is_admin?: boolean;
  is_owner?: boolean;
  is_primary_owner?: boolean;
  is_bot?: boolean;
  /** A deactivated account: still listed by users.list, flagged `deleted`. */
  deleted?: boolean;
  /** The member's language as Slack reports it (`en-US`, `ko-KR`); `en-US` when not set. */
  locale?: string;
}

export interface SharedFile {
  id: string;
  name: string;
  mimetype: string;
  content: Buffer;
}

export interface UploadedFile {
  id: string;
  filename: string;
  declaredLength: number;
  bytes: number | undefined;
  /** The file's first bytes as sent to the upload URL (its magic number). */
  head?: Buffer;
  /** What was uploaded, so a test can probe the very file a member would download. */
  content: Buffer | undefined;
  contentType: string | undefined;
  completed: { channel: string; threadTs: string | undefined; title: string | undefined; comment: string | undefined } | undefined;
  /** Seconds since epoch when the upload was completed (files.list's `created`). */
  created?: number;
  /** Shared into its channel: its message is in the channel and files.list lists it there. */
  shared?: boolean;
}

export interface FakeSlackOptions {
  botToken?: string;
  appToken?: string;
  teamId?: string;
}

type Json = Record<string, unknown>;

export class FakeSlack {
  readonly botToken: string;
  readonly appToken: string;
  readonly teamId: string;
  readonly calls: ApiCall[] = [];
  readonly messages: FakeMessage[] = [];
  readonly ephemerals: Json[] = [];
  readonly responses: { id: string; body: Json; at: number }[] = [];
  readonly uploads = new Map<string, UploadedFile>();
  readonly users = new Map<string, FakeUser>();
  readonly sharedFiles = new Map<string, SharedFile>();
  /** Files served without auth at /public/{name}: stand-ins for a web link. */
  readonly publicFiles = new Map<string, { mimetype: string; content: Buffer }>();
  /** Who is in each conversation, for conversations.members; a conversation not listed is `channel_not_found`. */
  readonly channelMembers = new Map<string, string[]>();
  /** User groups and their members, for usergroups.users.list; a group not listed is `no_such_subteam`. */
  readonly userGroups = new Map<string, string[]>();
  /**
   * At most this many users per users.list page, whatever `limit` asks: Slack says a page may hold fewer
   * than `limit` with more to come (https://api.slack.com/methods/users.list), so a client must follow the cursor.
   */
  usersPageMax: number | undefined;
  /** Channels where chat.postMessage answers `not_in_channel`. */
  readonly closedChannels = new Set<string>();
  private server!: Server;
  private wss!: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  private readonly ackWaiters = new Map<string, (ack: Json) => void>();
  private seq = 0;
  private tsSeq = 0;
  private responseWaiters: { id: string; resolve: (body: Json) => void }[] = [];
  private callWaiters: { method: string; count: number; resolve: () => void }[] = [];
  private readonly holds = new Map<string, { applied: boolean }>();
  private heldCalls: { method: string; release: () => void }[] = [];
  /** Completed uploads not yet shared into their channel, while `holdShares` is on. */
  private heldShares: (() => void)[] | undefined;
  port = 0;
  connections = 0;
  private socket: WebSocket | undefined;

  constructor(options: FakeSlackOptions = {}) {
    this.botToken = options.botToken ?? 'xoxb-test';
    this.appToken = options.appToken ?? 'xapp-test';
    this.teamId = options.teamId ?? 'T0TEAM';
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Value for SLACK_API_URL. */
  get apiUrl(): string {
    return `${this.url}/api`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.wss = new WebSocketServer({ server: this.server, path: '/socket' });
    this.wss.on('connection', (ws) => {
      this.connections++;
      this.socket = ws;
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as Json;
        const id = msg.envelope_id;
        if (typeof id === 'string') this.ackWaiters.get(id)?.(msg);
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake' }, connection_info: { app_id: 'A0APP' } }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------------------
  // Queries for tests
  // ---------------------------------------------------------------------------

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  topLevel(channel: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === undefined);
  }

  thread(channel: string, parentTs: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === parentTs);
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** A file to share "in the channel", readable with the bot token. */
  shareFile(file: Omit<SharedFile, 'id'> & { id?: string }): SharedFile {
    const shared = { ...file, id: file.id ?? `F0SHARE${++this.seq}` };
    this.sharedFiles.set(shared.id, shared);
    return shared;
  }

  permalink(fileId: string): string {
    const f = this.sharedFiles.get(fileId)!;
    return `https://fake-team.slack.com/files/U0OWNER/${fileId}/${f.name}`;
  }

  newResponseUrl(): string {
    return `${this.url}/response/${++this.seq}`;
  }

  responsesTo(responseUrl: string): Json[] {
    const id = responseUrl.split('/').pop()!;
    return this.responses.filter((r) => r.id === id).map((r) => r.body);
  }

  /** Resolves once `method` has been called `count` times in all (an event, not a poll). */
  called(method: string, count: number): Promise<void> {
    return new Promise((resolve) => {
      this.callWaiters.push({ method, count, resolve });
      this.checkCallWaiters();
    });
  }

  private checkCallWaiters(): void {
    for (const w of [...this.callWaiters]) {
      if (this.callsTo(w.method).length < w.count) continue;
      this.callWaiters.splice(this.callWaiters.indexOf(w), 1);
      w.resolve();
    }
  }

  /** Resolves with the first answer the bot posts to `responseUrl` (an event, not a poll). */
  nextResponseTo(responseUrl: string): Promise<Json> {
    const id = responseUrl.split('/').pop()!;
    const known = this.responses.find((r) => r.id === id);
    if (known) return Promise.resolve(known.body);
    return new Promise((resolve) => this.responseWaiters.push({ id, resolve }));
  }

  // ---------------------------------------------------------------------------
  // Socket Mode
  // ---------------------------------------------------------------------------

  get socketConnected(): boolean {
    return this.socket !== undefined && this.socket.readyState === this.socket.OPEN;
  }

  /** Sends an envelope and resolves with the client's ack (`{envelope_id, payload?}`). */
  sendEnvelope(type: 'slash_commands' | 'interactive', payload: Json): Promise<Json> {
    if (!this.socket) throw new Error('no socket mode client connected');
    const envelopeId = `env-${++this.seq}`;
    const acked = new Promise<Json>((resolve) => this.ackWaiters.set(envelopeId, resolve));
    this.socket.send(JSON.stringify({ envelope_id: envelopeId, type, accepts_response_payload: type === 'slash_commands', payload }));
    return acked;
  }

  // ---------------------------------------------------------------------------
  // HTTP
  // ---------------------------------------------------------------------------

  private nextTs(): string {
    this.tsSeq++;
    // Real seconds, as Slack's are, so `oldest` in conversations.history means what it says.
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsSeq).padStart(6, '0')}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readAll(req);
    if (url.pathname.startsWith('/api/')) return this.api(url.pathname.slice(5), req, body, res);
    if (url.pathname.startsWith('/upload/') && req.method === 'POST') {
      const id = url.pathname.slice('/upload/'.length);
      const upload = this.uploads.get(id);
      if (!upload) return void res.writeHead(404).end();
      upload.bytes = body.length;
      upload.head = body.subarray(0, 16);
      upload.content = body;
      upload.contentType = req.headers['content-type'];
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${body.length}`);
      return;
    }
    if (url.pathname.startsWith('/private/')) {
      const id = url.pathname.split('/')[2]!;
      const file = this.sharedFiles.get(id);
      // Slack serves private files only with a token; without one it shows its login page.
      if (req.headers.authorization !== `Bearer ${this.botToken}`) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>sign in</html>');
        return;
      }
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file.mimetype, 'content-length': file.content.length }).end(file.content);
      return;
    }
    if (url.pathname.startsWith('/public/')) {
      const file = this.publicFiles.get(url.pathname.slice('/public/'.length));
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file.mimetype, 'content-length': file.content.length }).end(file.content);
      return;
    }
    if (url.pathname.startsWith('/response/')) {
      const response = { id: url.pathname.split('/')[2]!, body: JSON.parse(body.toString() || '{}') as Json, at: Date.now() };
      this.responses.push(response);
      for (const w of this.responseWaiters.filter((w) => w.id === response.id)) w.resolve(response.body);
      this.responseWaiters = this.responseWaiters.filter((w) => w.id !== response.id);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    res.writeHead(404).end();
  }

  private api(method: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const args = parseArgs(req.headers['content-type'], raw);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : typeof args.token === 'string' ? args.token : undefined;
    this.calls.push({ method, args, token, at: Date.now() });
    this.checkCallWaiters();
    const send = (body: Json) => {
      const text = JSON.stringify(body);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
    };
    const wanted = method === 'apps.connections.open' ? this.appToken : this.botToken;
    if (token !== wanted) return send({ ok: false, error: 'invalid_auth' });
    const hold = this.holds.get(method);
    if (hold) {
      // The call stays open, so a test can kill the bot while it waits; with `applied`, Slack has
      // already done the work (the worst moment to crash: done on Slack's side, unknown to the bot).
      const answer = hold.applied ? this.answer(method, args) : undefined;
      this.heldCalls.push({ method, release: () => send(answer ?? this.answer(method, args)) });
      return;
    }
    send(this.answer(method, args));
  }

  /** Withholds the answer to every call of `method` until `release(method)`. */
  hold(method: string, options: { applied?: boolean } = {}): void {
    this.holds.set(method, { applied: options.applied ?? false });
  }

  release(method: string): void {
    this.holds.delete(method);
    for (const call of this.heldCalls.filter((c) => c.method === method)) call.release();
    this.heldCalls = this.heldCalls.filter((c) => c.method !== method);
  }

  /**
   * Slack shares a completed upload into its channel a moment after files.completeUploadExternal
   * answers; until `releaseShares`, completed uploads stay out of the channel (no message, not in files.list).
   */
  holdShares(): void {
    this.heldShares ??= [];
  }

  releaseShares(): void {
    const held = this.heldShares ?? [];
    this.heldShares = undefined;
    for (const share of held) share();
  }

  private answer(method: string, args: Json): Json {
    const str = (k: string) => (typeof args[k] === 'string' ? (args[k] as string) : undefined);
    const refusal = method === 'views.open' ? viewRefusal(args) : MESSAGE_METHODS.has(method) ? messageRefusal(method, args) : undefined;
    if (refusal) return refusal;
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://fake-team.slack.com/', team: 'Fake', user: 'sora', team_id: this.teamId, user_id: 'U0BOT', bot_id: 'B0BOT' };
      case 'apps.connections.open':
        return { ok: true, url: `ws://127.0.0.1:${this.port}/socket` };
      case 'chat.postMessage': {
        const channel = str('channel')!;
        if (this.closedChannels.has(channel)) return { ok: false, error: 'not_in_channel' };
        const msg: FakeMessage = { channel, ts: this.nextTs(), threadTs: str('thread_ts'), text: str('text') ?? '', blocks: asArray(args.blocks), files: [], edits: 0 };
        const metadata = typeof args.metadata === 'string' ? (JSON.parse(args.metadata) as Json) : (args.metadata as Json | undefined);
        if (metadata) msg.metadata = metadata;
        this.messages.push(msg);
        return { ok: true, channel, ts: msg.ts, message: { text: msg.text, ts: msg.ts } };
      }
      case 'chat.update': {
        const msg = this.message(str('channel')!, str('ts')!);
        if (!msg) return { ok: false, error: 'message_not_found' };
        msg.text = str('text') ?? msg.text;
        msg.blocks = asArray(args.blocks);
        msg.edits++;
        return { ok: true, channel: msg.channel, ts: msg.ts, text: msg.text };
      }
      case 'chat.postEphemeral':
        this.ephemerals.push(args);
        return { ok: true, message_ts: this.nextTs() };
      case 'users.info': {
        const id = str('user')!;
        const { locale, ...user } = this.users.get(id) ?? { id, name: id.toLowerCase() };
        // https://api.slack.com/methods/users.info: `locale` is in the user object only when asked for with `include_locale`.
        const withLocale = args.include_locale === true || args.include_locale === 'true' ? { locale: locale ?? 'en-US' } : {};
        return { ok: true, user: { ...user, ...withLocale, profile: { display_name: user.real_name ?? user.name, real_name: user.real_name ?? user.name } } };
      }
      case 'users.list': {
        // https://api.slack.com/methods/users.list: every user of the workspace, deactivated ones and bots
        // included (flagged `deleted`, `is_bot`), paginated by `cursor` with `limit` (Slack suggests at most 200).
        const all = [...this.users.values()];
        const start = Number(str('cursor') || 0);
        const limit = Math.min(Number(args.limit ?? 0) || all.length || 1, 1000, this.usersPageMax ?? 1000);
        const next = start + limit < all.length ? String(start + limit) : '';
        const members = all.slice(start, start + limit).map(({ locale: _locale, ...u }) => ({ deleted: false, is_bot: false, is_admin: false, is_owner: false, is_primary_owner: false, ...u }));
        return { ok: true, members, response_metadata: { next_cursor: next } };
      }
      case 'conversations.members': {
        // https://api.slack.com/methods/conversations.members: cursor pagination, `limit` up to 1000.
        const members = this.channelMembers.get(str('channel') ?? '');
        if (!members) return { ok: false, error: 'channel_not_found' };
        const start = Number(str('cursor') ?? 0);
        const limit = Math.min(Number(args.limit ?? 100), 1000);
        const next = start + limit < members.length ? String(start + limit) : '';
        return { ok: true, members: members.slice(start, start + limit), response_metadata: { next_cursor: next } };
      }
      case 'usergroups.users.list': {
        // https://api.slack.com/methods/usergroups.users.list: the member ids of one user group.
        const users = this.userGroups.get(str('usergroup') ?? '');
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      case 'conversations.open': {
        // https://api.slack.com/methods/conversations.open: `users` opens (or returns) the bot's DM with that member.
        const users = (str('users') ?? '').split(',').filter(Boolean);
        if (users.length !== 1) return { ok: false, error: users.length === 0 ? 'users_list_not_supplied' : 'not_implemented' };
        return { ok: true, channel: { id: `D${users[0]}` } };
      }
      case 'views.open':
        return { ok: true, view: { id: `V${++this.seq}` } };
      case 'files.getUploadURLExternal': {
        const id = `F0UP${++this.seq}`;
        this.uploads.set(id, { id, filename: str('filename')!, declaredLength: Number(args.length), bytes: undefined, content: undefined, contentType: undefined, completed: undefined });
        return { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = asArray(args.files) as { id: string; title?: string }[];
        const channel = str('channel_id')!;
        for (const f of files) {
          const upload = this.uploads.get(f.id);
          if (!upload || upload.bytes === undefined) return { ok: false, error: 'file_not_found' };
          upload.completed = { channel, threadTs: str('thread_ts'), title: f.title, comment: str('initial_comment') };
          upload.created = Math.floor(Date.now() / 1000);
        }
        const share = () => {
          for (const f of files) this.uploads.get(f.id)!.shared = true;
          this.messages.push({ channel, ts: this.nextTs(), threadTs: str('thread_ts'), text: str('initial_comment') ?? '', blocks: [], files: files.map((f) => f.id), edits: 0 });
        };
        if (this.heldShares) this.heldShares.push(share);
        else share();
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) };
      }
      case 'conversations.history': {
        // Newest first, top-level messages only, `oldest` exclusive; one page is enough for these tests.
        const oldest = Number(str('oldest') ?? 0);
        const withMetadata = args.include_all_metadata === true || str('include_all_metadata') === 'true';
        const messages = this.messages
          .filter((m) => m.channel === str('channel') && (m.threadTs === undefined || m.threadTs === m.ts) && Number(m.ts) > oldest)
          .reverse()
          .slice(0, Number(str('limit') ?? 100))
          .map((m) => ({ type: 'message', ts: m.ts, text: m.text, ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}) }));
        return { ok: true, messages, has_more: false };
      }
      case 'conversations.replies': {
        const parent = this.message(str('channel')!, str('ts')!);
        if (!parent) return { ok: false, error: 'thread_not_found' };
        const withMetadata = args.include_all_metadata === true || str('include_all_metadata') === 'true';
        const thread = [parent, ...this.thread(parent.channel, parent.ts)];
        return { ok: true, messages: thread.map((m) => ({ type: 'message', ts: m.ts, text: m.text, ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}) })), has_more: false };
      }
      case 'files.list': {
        // https://api.slack.com/methods/files.list: newest first; `channel` keeps the files shared there,
        // `ts_from`/`ts_to` bound `created` (inclusive); traditional paging by `count` (default 100) and `page` (from 1).
        const channel = str('channel');
        const from = Number(str('ts_from') ?? 0);
        const to = Number(str('ts_to') ?? Number.POSITIVE_INFINITY);
        const listed = [...this.uploads.values()]
          .filter((u) => u.shared && u.completed && (!channel || u.completed.channel === channel) && u.created! >= from && u.created! <= to)
          .reverse();
        const count = Math.min(Math.max(Number(args.count ?? 100), 1), 1000);
        const page = Math.max(Number(args.page ?? 1), 1);
        const files = listed.slice((page - 1) * count, page * count).map((u) => ({
          id: u.id,
          created: u.created,
          name: u.filename,
          title: u.completed!.title ?? u.filename,
          mimetype: u.filename.endsWith('.mp4') ? 'video/mp4' : 'application/octet-stream',
          size: u.bytes,
          channels: [u.completed!.channel],
        }));
        return { ok: true, files, paging: { count, total: listed.length, page, pages: Math.max(Math.ceil(listed.length / count), 1) } };
      }
      case 'files.info': {
        const file = this.sharedFiles.get(str('file') ?? '');
        if (!file) return { ok: false, error: 'file_not_found' };
        return {
          ok: true,
          file: { id: file.id, name: file.name, size: file.content.length, mimetype: file.mimetype, url_private_download: `${this.url}/private/${file.id}/${file.name}` },
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

/** The methods that post or edit a message (blocks.ts checks their blocks). */
const MESSAGE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral']);

/** A JSON argument as Slack reads it: form-encoded calls carry it as a string. */
function jsonArg(value: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof value !== 'string') return { ok: true, value };
  try {
    return { ok: true, value: JSON.parse(value) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * What Slack refuses in a message (https://api.slack.com/methods/chat.postMessage#errors): blocks that are
 * not JSON (`invalid_blocks_format`) or break Block Kit's limits (`invalid_blocks`), a new message with
 * neither text nor blocks (`no_text`), text over 40,000 characters (`msg_too_long`).
 */
function messageRefusal(method: string, args: Json): Json | undefined {
  if (args.blocks !== undefined) {
    const blocks = jsonArg(args.blocks);
    if (!blocks.ok) return { ok: false, error: 'invalid_blocks_format' };
    const parsed = MessageBlocks.safeParse(blocks.value);
    if (!parsed.success) return invalidBlocks(parsed.error);
  }
  const text = typeof args.text === 'string' ? args.text : '';
  if (text.length > 40_000) return { ok: false, error: 'msg_too_long' };
  if (method !== 'chat.update' && text === '' && args.blocks === undefined) return { ok: false, error: 'no_text' };
  return undefined;
}

/** A modal Slack cannot show: `invalid_arguments`, as views.open answers (https://api.slack.com/methods/views.open#errors). */
function viewRefusal(args: Json): Json | undefined {
  const view = jsonArg(args.view);
  const parsed = view.ok ? ModalView.safeParse(view.value) : undefined;
  if (parsed?.success) return undefined;
  return { ok: false, error: 'invalid_arguments', response_metadata: { messages: [parsed ? invalidBlocks(parsed.error).errors[0] : 'view is not JSON'] } };
}

function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      return Array.isArray(parsed) ? parsed : [];
    } catch {
      return [];
    }
  }
  return [];
}

/** The Web API client sends form-encoded bodies with nested values as JSON strings; JSON bodies also occur. */
function parseArgs(contentType: string | undefined, raw: Buffer): Json {
  const text = raw.toString();
  if (!text) return {};
  if (contentType?.includes('application/json')) return JSON.parse(text) as Json;
  return Object.fromEntries(new URLSearchParams(text));
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// -----------------------------------------------------------------------------
// Signed requests to the bot (HTTP mode)
// -----------------------------------------------------------------------------

export interface SignOptions {
  secret: string;
  /** Seconds since epoch; default now. */
  timestamp?: number;
  /** Sign with this secret instead (a forged request). */
  forgeWith?: string;
}

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** POSTs a signed, form-encoded body to the bot's /slack/events. */
export async function postSigned(eventsUrl: string, form: Record<string, string>, sign: SignOptions): Promise<{ status: number; body: string; ms: number }> {
  const body = new URLSearchParams(form).toString();
  const timestamp = sign.timestamp ?? Math.floor(Date.now() / 1000);
  const started = Date.now();
  const res = await fetch(eventsUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(sign.forgeWith ?? sign.secret, timestamp, body),
    },
    body,
  });
  return { status: res.status, body: await res.text(), ms: Date.now() - started };
}

export interface SlashCommandInput {
  command: string;
  text: string;
  user: string;
  channel: string;
  team: string;
  responseUrl: string;
  userName?: string;
}

export function slashCommandPayload(input: SlashCommandInput): Record<string, string> {
  return {
    token: 'deprecated-verification-token',
    team_id: input.team,
    team_domain: 'fake-team',
    channel_id: input.channel,
    channel_name: 'general',
    user_id: input.user,
    user_name: input.userName ?? input.user.toLowerCase(),
    command: input.command,
    text: input.text,
    api_app_id: 'A0APP',
    is_enterprise_install: 'false',
    response_url: input.responseUrl,
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
  };
}

export interface BlockActionInput {
  team: string;
  user: string;
  channel: string;
  messageTs: string;
  threadTs?: string;
  actionId: string;
  value: string;
}

export function blockActionPayload(input: BlockActionInput): Json {
  return {
    type: 'block_actions',
    api_app_id: 'A0APP',
    token: 'deprecated-verification-token',
    team: { id: input.team, domain: 'fake-team' },
    user: { id: input.user, username: input.user.toLowerCase(), name: input.user.toLowerCase(), team_id: input.team },
    channel: { id: input.channel, name: 'general' },
    container: { type: 'message', message_ts: input.messageTs, channel_id: input.channel, is_ephemeral: false, thread_ts: input.threadTs },
    message: { type: 'message', ts: input.messageTs, thread_ts: input.threadTs, text: 'status' },
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
    response_url: `http://127.0.0.1:1/unused`,
    actions: [{ type: 'button', action_id: input.actionId, block_id: `job_${input.value}`, value: input.value, action_ts: '1764000000.000001' }],
  };
}

export interface ViewSubmissionInput {
  team: string;
  user: string;
  callbackId: string;
  privateMetadata: string;
  /** block_id → action_id → the text typed in that input. */
  values: Record<string, Record<string, string>>;
}

/** A modal's submit (https://api.slack.com/reference/interaction-payloads/views#view_submission). */
export function viewSubmissionPayload(input: ViewSubmissionInput): Json {
  const values = Object.fromEntries(
    Object.entries(input.values).map(([block, actions]) => [block, Object.fromEntries(Object.entries(actions).map(([action, value]) => [action, { type: 'plain_text_input', value }]))]),
  );
  return {
    type: 'view_submission',
    api_app_id: 'A0APP',
    token: 'deprecated-verification-token',
    team: { id: input.team, domain: 'fake-team' },
    user: { id: input.user, username: input.user.toLowerCase(), name: input.user.toLowerCase(), team_id: input.team },
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
    view: { id: 'V0VIEW', type: 'modal', team_id: input.team, callback_id: input.callbackId, private_metadata: input.privateMetadata, state: { values }, hash: '1.abc' },
  };
}
