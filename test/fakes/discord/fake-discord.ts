/**
 * A local Discord for the real discord.js client (https://discord.com/developers/docs/reference): the REST
 * routes the bot uses, a gateway WebSocket that says HELLO/READY and delivers
 * INTERACTION_CREATE, message/thread state the tests can read, and an
 * injected clock for the 15-minute interaction-token lifetime: a callback or
 * webhook call after that answers 404 `{code:10062}`, as Discord does.
 *
 * Binds to 127.0.0.1 only.
 */
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Clock } from '../../../src/core/clock.js';
import { formError, InteractionAnswer, isEmptyMessage, MessageEdit, StartThread } from './bodies.js';

export const TOKEN_LIFETIME_MS = 15 * 60_000;
export const NONCE_WINDOW_MS = 5 * 60_000;
/**
 * "You must send an initial response within 3 seconds of receiving the event. If the 3 second deadline is
 * exceeded, the token will be invalidated" (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-callback),
 * on the fake's clock.
 */
export const INITIAL_RESPONSE_MS = 3_000;

let snowflakeSeq = 1_000_000n;
/** Numeric-string ids: discord.js parses snowflakes as BigInt. */
export function snowflake(): string {
  snowflakeSeq += 1n;
  return (1_300_000_000_000_000_000n + snowflakeSeq).toString();
}

export interface FakeFile {
  field: string;
  name: string;
  size: number;
  contentType: string;
  /** The bytes Discord received, so a test can probe the very file a member would download. */
  data: Buffer;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  attachments: FakeFile[];
  nonce: string | undefined;
  /** `bot` when posted with the bot token, `webhook` through an interaction token. */
  via: 'bot' | 'webhook';
  interactionId: string | undefined;
  deleted: boolean;
  edits: number;
  createdAt: number;
}

export interface FakeCall {
  method: string;
  path: string;
  /** The fake clock's time when the call arrived. */
  at: number;
  /** Real time, for the 3-second acknowledgement deadline. */
  realAt: number;
  auth: string | undefined;
  json: unknown;
  files: FakeFile[];
  status: number;
}

export interface FakeInteraction {
  id: string;
  token: string;
  type: number;
  /** Fake-clock time of creation: the token dies TOKEN_LIFETIME_MS later. */
  createdAt: number;
  realCreatedAt: number;
  acknowledged: boolean;
  callback: { type: number; data: Record<string, unknown> | undefined; realAt: number } | undefined;
  originalMessageId: string | undefined;
  channelId: string;
}

export interface FakeChannel {
  id: string;
  type: number;
  guild_id: string;
  parent_id: string | null;
  name: string;
  fromMessageId: string | undefined;
  /** Who may view it beyond the server's roles (https://discord.com/developers/docs/resources/channel#overwrite-object). */
  permission_overwrites: FakeOverwrite[];
  /** Private threads: the members Discord lets in. */
  threadMembers: Set<string>;
}

export interface FakeOverwrite {
  id: string;
  /** 0 role, 1 member. */
  type: 0 | 1;
  allow: string;
  deny: string;
}

export interface FakeGuild {
  id: string;
  owner_id: string;
  /** `@everyone` is the role whose id is the server's id. */
  roles: { id: string; name: string; permissions: string }[];
  /** The members GET /guilds/{id}/members lists (the tests add them). */
  members: { user: FakeUser & { bot?: boolean }; roles: string[] }[];
  /**
   * Whether the app has the GUILD_MEMBERS privileged intent. Without it (the default for a new app)
   * List Guild Members answers 403 "Missing Access", code 50001.
   */
  membersIntent: boolean;
}

export interface FakeUser {
  id: string;
  username: string;
}

export interface InteractionTarget {
  guildId: string;
  channelId: string;
  user: FakeUser;
  /** Member permissions in the channel, as the decimal string Discord sends. */
  memberPermissions?: string;
  /** The member's role ids in the server. */
  roles?: string[];
  /** The bot's permissions in the channel. */
  appPermissions?: string;
  attachmentSizeLimit?: number;
  /** The member's client language (discord.com/developers/docs/reference#locales); `en-US` when not set. */
  locale?: string;
}

export interface FakeDiscordOptions {
  clock: Clock;
  applicationId?: string;
  botUserId?: string;
  tokenLifetimeMs?: number;
}

/** Every permission bit the bot asks for in README.md "Run on Discord", plus a few everyone has. */
export const ALL_BOT_PERMISSIONS = String((1n << 50n) - 1n);
export const MEMBER_PERMISSIONS = String(1n << 10n | 1n << 11n | 1n << 31n); // view, send, use application commands
export const ADMIN_PERMISSIONS = String(BigInt(MEMBER_PERMISSIONS) | 1n << 5n); // + Manage Server

export class FakeDiscord {
  readonly clock: Clock;
  readonly applicationId: string;
  readonly botUserId: string;
  readonly tokenLifetimeMs: number;
  readonly calls: FakeCall[] = [];
  readonly messages = new Map<string, FakeMessage>();
  readonly channels = new Map<string, FakeChannel>();
  readonly interactions = new Map<string, FakeInteraction>();
  readonly commands = new Map<string, Record<string, unknown>[]>();
  readonly guilds = new Map<string, FakeGuild>();
  /** Pages of List Guild Members served (to see the bot's cache at work). */
  memberListCalls = 0;
  /**
   * Set by `deliverOverHttp`: interactions go as signed POSTs to the bot's
   * interactions endpoint instead of over the gateway, as Discord does for an
   * app with an Interactions Endpoint URL.
   */
  private http: { url: string; privateKey: KeyObject } | undefined;
  /** Every signed POST's answer, in order: what a test asserts on for the HTTP transport. */
  readonly httpAnswers: { interactionId: string; status: number; body: unknown }[] = [];
  private readonly httpInFlight = new Set<Promise<void>>();
  /**
   * Each interaction's signed POST until its answer is read. Discord registers the response before it
   * serves the interaction's webhook, so an edit of @original sent right after the answer finds the
   * message; the fake reads the answer in this process and must not let such an edit overtake it.
   */
  private readonly answering = new Map<string, Promise<void>>();
  /** REST routes the fake leaves unanswered until a test releases them (`hold`). */
  private readonly holds: { method: string; path: string; released: Promise<void> }[] = [];
  /** Each interaction's gateway payload, so a test can deliver it again. */
  private readonly payloads = new Map<string, unknown>();
  /** Files served as attachment/CDN URLs. */
  readonly files = new Map<string, { data: Buffer; contentType: string }>();
  identifies = 0;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private sockets = new Set<WebSocket>();
  private seq = 0;
  private port = 0;
  private identified: (() => void) | undefined;
  private identifiedPromise: Promise<void> | undefined;

  constructor(options: FakeDiscordOptions) {
    this.clock = options.clock;
    this.applicationId = options.applicationId ?? '1100000000000000001';
    this.botUserId = options.botUserId ?? '1100000000000000002';
    this.tokenLifetimeMs = options.tokenLifetimeMs ?? TOKEN_LIFETIME_MS;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What the bot's DISCORD_API_URL (discord.js `rest.api`) points at. */
  get apiUrl(): string {
    return `${this.url}/api`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.json(res, 500, { message: String(error), code: 0 });
      });
    });
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on('connection', (socket) => this.onGateway(socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    this.wss?.close();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Resolves at the next IDENTIFY (a new client connected). */
  nextIdentify(): Promise<void> {
    this.identifiedPromise ??= new Promise((resolve) => {
      this.identified = resolve;
    });
    return this.identifiedPromise;
  }

  // -------------------------------------------------------------------------
  // Gateway
  // -------------------------------------------------------------------------

  private onGateway(socket: WebSocket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 45_000 } }));
    socket.on('message', (raw) => {
      const packet = JSON.parse(raw.toString()) as { op: number; d: unknown };
      if (packet.op === 1) socket.send(JSON.stringify({ op: 11 }));
      if (packet.op === 2) {
        this.identifies += 1;
        this.seq = 0;
        this.send(socket, 'READY', {
          v: 10,
          user: { id: this.botUserId, username: 'sora-bot', discriminator: '0', global_name: null, avatar: null, bot: true },
          guilds: [],
          session_id: randomBytes(8).toString('hex'),
          resume_gateway_url: `ws://127.0.0.1:${this.port}`,
          application: { id: this.applicationId, flags: 0 },
        });
        const done = this.identified;
        this.identified = undefined;
        this.identifiedPromise = undefined;
        done?.();
      }
    });
  }

  private send(socket: WebSocket, t: string, d: unknown): void {
    this.seq += 1;
    socket.send(JSON.stringify({ op: 0, s: this.seq, t, d }));
  }

  private dispatch(t: string, d: unknown): void {
    for (const s of this.sockets) if (s.readyState === s.OPEN) this.send(s, t, d);
  }

  // -------------------------------------------------------------------------
  // HTTP interactions (https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint)
  // -------------------------------------------------------------------------

  /** From now on interactions are signed POSTs to `url`, signed with the app's Ed25519 `privateKey`. */
  deliverOverHttp(url: string, privateKey: KeyObject): void {
    this.http = { url, privateKey };
  }

  /** Resolves when every signed POST sent so far has been answered. */
  async httpSettled(): Promise<void> {
    while (this.httpInFlight.size > 0) await Promise.allSettled([...this.httpInFlight]);
  }

  /**
   * One signed POST as Discord sends it: Ed25519 over timestamp + body, in
   * X-Signature-Ed25519 (hex) and X-Signature-Timestamp (unix seconds).
   * `tamper` lets a test send a wrong signature or a stale timestamp.
   */
  async postInteraction(payload: unknown, tamper: { signatureOf?: string; timestampS?: number } = {}): Promise<{ status: number; body: unknown; contentType: string }> {
    const { url, privateKey } = this.http ?? {};
    if (!url || !privateKey) throw new Error('call deliverOverHttp first');
    const body = JSON.stringify(payload);
    const timestamp = String(tamper.timestampS ?? Math.floor(this.clock.now() / 1000));
    const signature = sign(null, Buffer.from(timestamp + (tamper.signatureOf ?? body)), privateKey).toString('hex');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp },
      body,
    });
    const contentType = res.headers.get('content-type') ?? '';
    const raw = Buffer.from(await res.arrayBuffer());
    if (contentType.startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
      const files: FakeFile[] = [];
      let json: unknown;
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') json = field === 'payload_json' ? JSON.parse(value) : json;
        else files.push({ field, name: value.name, size: value.size, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
      }
      return { status: res.status, body: { ...(json as object), files }, contentType };
    }
    return { status: res.status, body: raw.length > 0 && contentType.includes('json') ? JSON.parse(raw.toString('utf8')) : raw.toString('utf8'), contentType };
  }

  /** Sends an interaction the way the app receives them: over the gateway, or as a signed POST whose answer is its callback. */
  private deliver(payload: { id: string }): void {
    if (!this.http) return this.dispatch('INTERACTION_CREATE', payload);
    const task = (async () => {
      const answer = await this.postInteraction(payload);
      const interaction = this.interactions.get(payload.id);
      const { files = [], ...callback } = (answer.status === 200 ? answer.body : {}) as Record<string, unknown> & { files?: FakeFile[] };
      // An answer Discord cannot read fails the interaction, as a late one does: recorded, never shown.
      const readable = answer.status !== 200 || InteractionAnswer.safeParse(callback).success;
      // Past the first 3 s Discord has given up on the request: the answer is dropped, the token dead.
      const late = interaction !== undefined && this.clock.now() - interaction.createdAt > INITIAL_RESPONSE_MS;
      this.httpAnswers.push({ interactionId: payload.id, status: late ? 0 : readable ? answer.status : 400, body: answer.body });
      if (answer.status !== 200 || !interaction || !readable || late) return;
      this.acknowledge(interaction, callback, files);
    })().catch((error: unknown) => void this.httpAnswers.push({ interactionId: payload.id, status: 0, body: String(error) }));
    this.httpInFlight.add(task);
    this.answering.set(payload.id, task);
    void task.finally(() => {
      this.httpInFlight.delete(task);
      this.answering.delete(payload.id);
    });
  }

  /** An interaction's first answer, whether it came as the POST's response or on the callback route. */
  private acknowledge(interaction: FakeInteraction, body: Record<string, unknown>, files: FakeFile[]): void {
    interaction.acknowledged = true;
    const type = Number(body.type);
    const data = body.data as Record<string, unknown> | undefined;
    interaction.callback = { type, data, realAt: Date.now() };
    if (type === 4) {
      const message = this.newMessage(interaction.channelId, data ?? {}, files, 'webhook', interaction.id);
      interaction.originalMessageId = message.id;
    } else if (type === 5) {
      const message = this.newMessage(interaction.channelId, { content: '', flags: data?.flags }, [], 'webhook', interaction.id);
      interaction.originalMessageId = message.id;
    }
  }

  // -------------------------------------------------------------------------
  // Interactions the tests send
  // -------------------------------------------------------------------------

  private baseInteraction(type: number, target: InteractionTarget, data: unknown, message?: FakeMessage): FakeInteraction & { payload: unknown } {
    const id = snowflake();
    const token = `itok_${randomBytes(12).toString('hex')}`;
    const interaction: FakeInteraction = {
      id,
      token,
      type,
      createdAt: this.clock.now(),
      realCreatedAt: Date.now(),
      acknowledged: false,
      callback: undefined,
      originalMessageId: undefined,
      channelId: target.channelId,
    };
    this.interactions.set(id, interaction);
    const channelInfo = this.channels.get(target.channelId);
    const channelType = channelInfo?.type ?? 0;
    const payload = {
      id,
      application_id: this.applicationId,
      type,
      token,
      version: 1,
      guild_id: target.guildId,
      channel: { id: target.channelId, type: channelType, guild_id: target.guildId, ...(channelInfo?.parent_id ? { parent_id: channelInfo.parent_id } : {}) },
      channel_id: target.channelId,
      member: {
        user: { id: target.user.id, username: target.user.username, discriminator: '0', global_name: target.user.username, avatar: null },
        roles: target.roles ?? [],
        permissions: target.memberPermissions ?? MEMBER_PERMISSIONS,
        joined_at: new Date(0).toISOString(),
        deaf: false,
        mute: false,
        flags: 0,
      },
      app_permissions: target.appPermissions ?? ALL_BOT_PERMISSIONS,
      locale: target.locale ?? 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': target.guildId },
      context: 0,
      attachment_size_limit: target.attachmentSizeLimit ?? 10 * 1024 * 1024,
      data,
      ...(message ? { message: this.messageJson(message) } : {}),
    };
    this.payloads.set(id, payload);
    return { ...interaction, payload };
  }

  /** A slash command. `options` are the subcommand's options as Discord sends them. */
  command(
    target: InteractionTarget,
    name: string,
    subcommand: string | undefined,
    options: { name: string; type: number; value: string | number }[] = [],
    resolved?: Record<string, unknown>,
  ): FakeInteraction {
    const opts = subcommand ? [{ name: subcommand, type: 1, options }] : options;
    const { payload, ...interaction } = this.baseInteraction(2, target, {
      id: snowflake(),
      name,
      type: 1,
      options: opts,
      ...(resolved ? { resolved } : {}),
    });
    this.deliver(payload as { id: string });
    return interaction;
  }

  autocomplete(
    target: InteractionTarget,
    name: string,
    subcommand: string | undefined,
    options: { name: string; type: number; value: string | number; focused?: boolean }[],
  ): FakeInteraction {
    const opts = subcommand ? [{ name: subcommand, type: 1, options }] : options;
    const { payload, ...interaction } = this.baseInteraction(4, target, { id: snowflake(), name, type: 1, options: opts });
    this.deliver(payload as { id: string });
    return interaction;
  }

  button(target: InteractionTarget, messageId: string, customId: string): FakeInteraction {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`no message ${messageId}`);
    const { payload, ...interaction } = this.baseInteraction(3, target, { custom_id: customId, component_type: 2 }, message);
    this.deliver(payload as { id: string });
    return interaction;
  }

  modalSubmit(target: InteractionTarget, customId: string, fields: Record<string, string>): FakeInteraction {
    const components = Object.entries(fields).map(([id, value]) => ({ type: 1, components: [{ type: 4, custom_id: id, value }] }));
    const { payload, ...interaction } = this.baseInteraction(5, target, { custom_id: customId, components });
    this.deliver(payload as { id: string });
    return interaction;
  }

  /** Serves bytes at a CDN-like URL and returns the `resolved.attachments` entry for it. */
  attachment(name: string, data: Buffer, contentType: string): { id: string; filename: string; size: number; url: string; proxy_url: string; content_type: string } {
    const id = snowflake();
    const path = `/attachments/${id}/${name}`;
    this.files.set(path, { data, contentType });
    return { id, filename: name, size: data.length, url: `${this.url}${path}`, proxy_url: `${this.url}${path}`, content_type: contentType };
  }

  /** The gateway delivers an interaction again (a resumed session replaying events). */
  redeliver(interaction: FakeInteraction): void {
    this.deliver(this.payloads.get(interaction.id) as { id: string });
  }

  /** A channel the interactions come from; `overwrites` make it private. */
  addChannel(guildId: string, type = 0, overwrites: FakeOverwrite[] = []): FakeChannel {
    const channel: FakeChannel = {
      id: snowflake(),
      type,
      guild_id: guildId,
      parent_id: null,
      name: 'general',
      fromMessageId: undefined,
      permission_overwrites: overwrites,
      threadMembers: new Set(),
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** The server as GET /guilds/{id} returns it; by default everyone may view every channel. */
  guild(guildId: string): FakeGuild {
    let guild = this.guilds.get(guildId);
    if (!guild) {
      guild = { id: guildId, owner_id: '1', roles: [{ id: guildId, name: '@everyone', permissions: MEMBER_PERMISSIONS }], members: [], membersIntent: false };
      this.guilds.set(guildId, guild);
    }
    return guild;
  }

  addMember(guildId: string, user: FakeUser & { bot?: boolean }, roles: string[] = []): void {
    this.guild(guildId).members.push({ user, roles });
  }

  addRole(guildId: string, name: string, permissions = '0'): string {
    const id = snowflake();
    this.guild(guildId).roles.push({ id, name, permissions });
    return id;
  }

  private channelJson(c: FakeChannel): Record<string, unknown> {
    return { id: c.id, type: c.type, guild_id: c.guild_id, parent_id: c.parent_id, name: c.name, permission_overwrites: c.permission_overwrites };
  }

  /** Someone deletes a message in the client (the bot then gets 10008 on edits). */
  deleteMessage(id: string): void {
    const m = this.messages.get(id);
    if (m) m.deleted = true;
  }

  messagesIn(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channelId && !m.deleted);
  }

  threadsFrom(channelId: string): FakeChannel[] {
    return [...this.channels.values()].filter((c) => c.parent_id === channelId);
  }

  /**
   * Leaves `method path` (e.g. `GET /api/v10/channels/123`) unanswered until the returned function is
   * called: a handler waiting on it keeps its interaction unanswered for as long as a test needs.
   * The call is recorded (`callsFor`) as it arrives.
   */
  hold(method: string, path: string): () => void {
    let release!: () => void;
    const entry = { method, path, released: new Promise<void>((resolve) => (release = resolve)) };
    this.holds.push(entry);
    return () => {
      this.holds.splice(this.holds.indexOf(entry), 1);
      release();
    };
  }

  callsFor(pathPart: string | RegExp): FakeCall[] {
    return this.calls.filter((c) => (typeof pathPart === 'string' ? c.path.includes(pathPart) : pathPart.test(c.path)));
  }

  // -------------------------------------------------------------------------
  // REST
  // -------------------------------------------------------------------------

  private messageJson(m: FakeMessage): Record<string, unknown> {
    return {
      id: m.id,
      channel_id: m.channel_id,
      type: 0,
      content: m.content,
      author: { id: this.botUserId, username: 'sora-bot', discriminator: '0', global_name: null, avatar: null, bot: true },
      timestamp: new Date(m.createdAt).toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: m.attachments.map((a, i) => ({ id: `${m.id}${i}`, filename: a.name, size: a.size, url: `${this.url}/x/${a.name}`, proxy_url: `${this.url}/x/${a.name}`, content_type: a.contentType })),
      embeds: m.embeds,
      components: m.components,
      pinned: false,
      flags: m.flags,
      ...(m.nonce ? { nonce: m.nonce } : {}),
      ...(m.via === 'webhook' ? { webhook_id: this.applicationId, application_id: this.applicationId } : {}),
    };
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async readBody(req: IncomingMessage): Promise<{ json: unknown; files: FakeFile[] }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const type = req.headers['content-type'] ?? '';
    if (body.length === 0) return { json: undefined, files: [] };
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(body, { headers: { 'content-type': type } }).formData();
      const files: FakeFile[] = [];
      let json: unknown;
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') {
          if (field === 'payload_json') json = JSON.parse(value);
        } else {
          files.push({ field, name: value.name, size: value.size, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
        }
      }
      return { json, files };
    }
    return { json: JSON.parse(body.toString('utf8')), files: [] };
  }

  /** Interaction tokens die after 15 minutes of the fake's clock. */
  private liveInteraction(token: string): FakeInteraction | undefined {
    const interaction = [...this.interactions.values()].find((i) => i.token === token);
    if (!interaction) return undefined;
    const age = this.clock.now() - interaction.createdAt;
    if (!interaction.acknowledged && age > INITIAL_RESPONSE_MS) return undefined;
    return age > this.tokenLifetimeMs ? undefined : interaction;
  }

  private newMessage(channelId: string, body: Record<string, unknown>, files: FakeFile[], via: FakeMessage['via'], interactionId?: string): FakeMessage {
    const m: FakeMessage = {
      id: snowflake(),
      channel_id: channelId,
      content: typeof body.content === 'string' ? body.content : '',
      embeds: (body.embeds as unknown[]) ?? [],
      components: (body.components as unknown[]) ?? [],
      flags: typeof body.flags === 'number' ? body.flags : 0,
      attachments: files,
      nonce: typeof body.nonce === 'string' ? body.nonce : undefined,
      via,
      interactionId,
      deleted: false,
      edits: 0,
      createdAt: this.clock.now(),
    };
    this.messages.set(m.id, m);
    return m;
  }

  private editMessage(m: FakeMessage, body: Record<string, unknown>, files: FakeFile[]): void {
    if (typeof body.content === 'string') m.content = body.content;
    if (body.embeds !== undefined) m.embeds = (body.embeds as unknown[]) ?? [];
    if (body.components !== undefined) m.components = (body.components as unknown[]) ?? [];
    if (files.length > 0) m.attachments = files;
    m.edits += 1;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? 'GET';
    if (method === 'GET' && this.files.has(path)) {
      const file = this.files.get(path)!;
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.data.length });
      return void res.end(file.data);
    }
    const { json, files } = method === 'GET' ? { json: undefined, files: [] } : await this.readBody(req);
    const call: FakeCall = {
      method,
      path,
      at: this.clock.now(),
      realAt: Date.now(),
      auth: req.headers.authorization,
      json,
      files,
      status: 0,
    };
    this.calls.push(call);
    await this.holds.find((h) => h.method === method && h.path === path)?.released;
    const body = (json ?? {}) as Record<string, unknown>;
    const reply = (status: number, payload?: unknown) => {
      call.status = status;
      if (status === 204) {
        // discord.js parses a body whenever a content-type is present.
        res.writeHead(204);
        return void res.end();
      }
      this.json(res, status, payload);
    };
    const unknownInteraction = () => reply(404, { message: 'Unknown interaction', code: 10062 });
    const unknownWebhook = () => reply(404, { message: 'Unknown Webhook', code: 10015 });
    /** Answers Discord's 400 for a body it refuses (bodies.ts) and says so; false when the body passes. */
    const refused = (schema: typeof MessageEdit | typeof InteractionAnswer | typeof StartThread, newMessage = false): boolean => {
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        reply(400, formError(parsed.error));
        return true;
      }
      if (newMessage && isEmptyMessage(body, files)) {
        reply(400, { message: 'Cannot send an empty message', code: 50006 });
        return true;
      }
      return false;
    };
    const botAuth = () => call.auth === undefined || !call.auth.startsWith('Bot ');
    let m: RegExpExecArray | null;

    if (method === 'GET' && path === '/api/v10/gateway/bot') {
      return reply(200, {
        url: `ws://127.0.0.1:${this.port}`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
    }
    if (method === 'GET' && path === '/api/v10/users/@me') {
      if (botAuth()) return reply(401, { message: '401: Unauthorized', code: 0 });
      return reply(200, { id: this.botUserId, username: 'sora-bot', discriminator: '0', global_name: null, avatar: null, bot: true });
    }
    if ((m = /^\/api\/v10\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path))) {
      const interaction = this.interactions.get(m[1]!);
      if (!interaction || interaction.token !== m[2] || !this.liveInteraction(m[2]!)) return unknownInteraction();
      if (interaction.acknowledged) return reply(400, { message: 'Interaction has already been acknowledged.', code: 40060 });
      if (refused(InteractionAnswer)) return;
      this.acknowledge(interaction, body, files);
      return reply(204);
    }
    if ((m = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/.exec(path))) {
      const interaction = this.liveInteraction(m[2]!);
      if (!interaction) return unknownWebhook();
      await this.answering.get(interaction.id);
      const original = interaction.originalMessageId ? this.messages.get(interaction.originalMessageId) : undefined;
      if (!original || original.deleted) return reply(404, { message: 'Unknown Message', code: 10008 });
      if (method === 'PATCH' && refused(MessageEdit)) return;
      if (method === 'PATCH') this.editMessage(original, body, files);
      if (method === 'DELETE') {
        original.deleted = true;
        return reply(204);
      }
      return reply(200, this.messageJson(original));
    }
    if ((m = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)$/.exec(path)) && method === 'POST') {
      const interaction = this.liveInteraction(m[2]!);
      if (!interaction) return unknownWebhook();
      if (refused(MessageEdit, true)) return;
      await this.answering.get(interaction.id);
      // Right after a deferred answer (type 5) the first follow-up fills the "thinking…" message instead of
      // creating one, and its EPHEMERAL flag is ignored: the message keeps the defer's visibility
      // (https://discord.com/developers/docs/interactions/receiving-and-responding#create-followup-message).
      const original = interaction.callback?.type === 5 && interaction.originalMessageId ? this.messages.get(interaction.originalMessageId) : undefined;
      if (original && !original.deleted && original.edits === 0) {
        const { flags: _ignored, ...kept } = body;
        this.editMessage(original, kept, files);
        return reply(200, this.messageJson(original));
      }
      const message = this.newMessage(interaction.channelId, body, files, 'webhook', interaction.id);
      return reply(200, this.messageJson(message));
    }
    if ((m = /^\/api\/v10\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(path)) && method === 'POST') {
      if (botAuth()) return reply(401, { message: '401: Unauthorized', code: 0 });
      if (refused(StartThread)) return;
      const parent = this.channels.get(m[1]!);
      const thread: FakeChannel = {
        id: m[2]!, // Discord gives a thread started from a message the message's id.
        type: 11,
        guild_id: parent?.guild_id ?? '0',
        parent_id: m[1]!,
        name: String(body.name ?? 'thread'),
        fromMessageId: m[2]!,
        permission_overwrites: [],
        threadMembers: new Set(),
      };
      if (this.channels.has(thread.id)) return reply(400, { message: 'A thread has already been created for this message', code: 160004 });
      this.channels.set(thread.id, thread);
      return reply(201, { id: thread.id, type: 11, guild_id: thread.guild_id, parent_id: thread.parent_id, name: thread.name, owner_id: this.botUserId });
    }
    if ((m = /^\/api\/v10\/channels\/(\d+)$/.exec(path)) && method === 'GET') {
      if (botAuth()) return reply(401, { message: '401: Unauthorized', code: 0 });
      const channel = this.channels.get(m[1]!);
      return channel ? reply(200, this.channelJson(channel)) : reply(404, { message: 'Unknown Channel', code: 10003 });
    }
    if ((m = /^\/api\/v10\/channels\/(\d+)\/thread-members\/(\d+)$/.exec(path)) && method === 'GET') {
      if (botAuth()) return reply(401, { message: '401: Unauthorized', code: 0 });
      const thread = this.channels.get(m[1]!);
      if (!thread) return reply(404, { message: 'Unknown Channel', code: 10003 });
      return thread.threadMembers.has(m[2]!) ? reply(200, { id: thread.id, user_id: m[2]!, join_timestamp: new Date(0).toISOString(), flags: 0 }) : reply(404, { message: 'Unknown Member', code: 10007 });
    }
    if ((m = /^\/api\/v10\/guilds\/(\d+)$/.exec(path)) && method === 'GET') {
      if (botAuth()) return reply(401, { message: '401: Unauthorized', code: 0 });
      const guild = this.guild(m[1]!);
      return reply(200, { id: guild.id, name: 'server', owner_id: guild.owner_id, roles: guild.roles.map((r) => ({ ...r, color: 0, hoist: false, position: 0, managed: false, mentionable: false })) });
    }
    if ((m = /^\/api\/v10\/guilds\/(\d+)\/members$/.exec(path)) && method === 'GET') {
      // https://discord.com/developers/docs/resources/guild#list-guild-members: `limit` 1–1000 (default 1),
      // `after` the highest user id of the previous page; needs the GUILD_MEMBERS privileged intent.
      if (botAuth()) return reply(401, { message: '401: Unauthorized', code: 0 });
      const guild = this.guild(m[1]!);
      if (!guild.membersIntent) return reply(403, { message: 'Missing Access', code: 50001 });
      const limit = Number(url.searchParams.get('limit') ?? 1);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return reply(400, { message: 'Invalid Form Body', code: 50035 });
      const after = BigInt(url.searchParams.get('after') ?? '0');
      const page = [...guild.members].sort((a, b) => (BigInt(a.user.id) < BigInt(b.user.id) ? -1 : 1)).filter((x) => BigInt(x.user.id) > after).slice(0, limit);
      this.memberListCalls++;
      return reply(200, page.map((x) => ({ user: { id: x.user.id, username: x.user.username, ...(x.user.bot && { bot: true }) }, roles: x.roles, joined_at: new Date(0).toISOString(), deaf: false, mute: false, flags: 0 })));
    }
    if ((m = /^\/api\/v10\/channels\/(\d+)\/messages$/.exec(path))) {
      if (botAuth()) return reply(401, { message: '401: Unauthorized', code: 0 });
      if (!this.channels.has(m[1]!)) return reply(404, { message: 'Unknown Channel', code: 10003 });
      if (method === 'GET') {
        const limit = Number(url.searchParams.get('limit') ?? 50);
        return reply(200, this.messagesIn(m[1]!).reverse().slice(0, limit).map((x) => this.messageJson(x)));
      }
      if (method === 'POST') {
        if (refused(MessageEdit, true)) return;
        // `enforce_nonce`: Discord returns the earlier message instead of posting the same nonce twice,
        // but only for "the past few minutes" (modelled as 5).
        if (typeof body.nonce === 'string' && body.enforce_nonce === true) {
          const earlier = this.messagesIn(m[1]!).find((x) => x.nonce === body.nonce && this.clock.now() - x.createdAt < NONCE_WINDOW_MS);
          if (earlier) return reply(200, this.messageJson(earlier));
        }
        const message = this.newMessage(m[1]!, body, files, 'bot');
        return reply(200, this.messageJson(message));
      }
    }
    if ((m = /^\/api\/v10\/channels\/(\d+)\/messages\/(\d+)$/.exec(path))) {
      if (botAuth()) return reply(401, { message: '401: Unauthorized', code: 0 });
      const message = this.messages.get(m[2]!);
      if (!message || message.deleted || message.channel_id !== m[1]) return reply(404, { message: 'Unknown Message', code: 10008 });
      if (method === 'PATCH' && refused(MessageEdit)) return;
      if (method === 'PATCH') this.editMessage(message, body, files);
      return reply(200, this.messageJson(message));
    }
    if ((m = /^\/api\/v10\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path))) {
      const scope = m[2] ?? 'global';
      if (method === 'GET') return reply(200, this.commands.get(scope) ?? []);
      if (method === 'PUT') {
        const list = (json as Record<string, unknown>[]).map((c) => ({ ...c, id: snowflake(), application_id: this.applicationId, version: snowflake() }));
        this.commands.set(scope, list);
        return reply(200, list);
      }
    }
    reply(404, { message: `fake Discord has no route ${method} ${path}`, code: 0 });
  }
}
