/**
 * Per-tenant settings set by admins with `/budget set`: caps, the routing
 * policy and the default sound. Anything unset falls back to the defaults from
 * the environment (sound: off).
 */
import { DocumentCache } from './document-cache.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { Micros } from './money.js';
import type { BudgetCaps, KeyValueStore } from './ports.js';
import type { Orientation, Resolution, Sound, TenantId } from './types.js';

export type RoutingPolicy = 'cost' | 'stability';

export interface TenantSettings {
  tenantCapMicros?: Micros;
  /** Default cap for every member of this tenant. */
  userCapMicros?: Micros;
  /** Caps for named members, overriding the default. */
  userCaps: Record<string, Micros>;
  policy?: RoutingPolicy;
  /** Sound for videos whose requester does not say `--audio`. */
  audio?: Sound;
  /** Jobs estimated above this wait for an admin's approval (`/budget set --approve-above`). */
  approveAboveMicros?: Micros;
  /** Who may spend (`/settings access`). */
  access?: AccessRules;
  /** Defaults per channel id (`/settings channel`). */
  channels?: Record<string, ChannelDefaults>;
  /** Where 80% warnings also go (`/settings alerts --channel`), a channel id. */
  alertsChannel?: string;
  /** Warnings already given, by month: `team`, or `user:<id>` (once per month each). */
  alertsGiven?: Record<string, string[]>;
}

/** A Discord role or a Slack user group, with the name it had when it was set (for messages). */
export interface NamedGroup {
  id: string;
  name: string;
}

export interface AccessRules {
  /** When not empty, only members of these groups (and admins) may generate. */
  allowedGroups: NamedGroup[];
  /** These members may not generate at all. */
  blocked: NamedGroup[];
  /** Besides admins, members of these groups may approve or deny expensive jobs. */
  approverGroups: NamedGroup[];
  /** Who last changed the rules, named in refusals as the one to ask. */
  changedBy?: string;
}

/** What a channel's videos default to; an option the user gives still wins. */
export interface ChannelDefaults {
  orientation?: Orientation;
  seconds?: number;
  resolution?: Resolution;
  backend?: string;
  policy?: RoutingPolicy;
  approveAboveMicros?: Micros;
}

/** The team's default sound before an admin sets one: silent, the cheaper price. */
export const DEFAULT_AUDIO: Sound = 'off';

export interface SettingsDefaults {
  tenantCapMicros: Micros;
  userCapMicros: Micros;
  policy: RoutingPolicy;
}

/**
 * The port: a team's settings, and what the hot path derives from them. On SQLite and Postgres a table
 * (src/store/sql/sql-settings.ts), on Redis one keyv document per tenant (`DocumentTenantSettings`).
 */
export interface TenantSettingsRepository {
  readonly defaults: SettingsDefaults;
  get(tenant: TenantId): Promise<TenantSettings>;
  /**
   * Applies `change` to the current settings and stores the result atomically, across replicas too.
   * `change` may run more than once (a write that lost a race is tried again on the newer settings),
   * so it must only derive from what it is given; returns the settings as stored.
   */
  update(tenant: TenantId, change: (settings: TenantSettings) => void): Promise<TenantSettings>;
  capsFor(tenant: TenantId, userId: string): Promise<BudgetCaps>;
  policyFor(tenant: TenantId): Promise<RoutingPolicy>;
  /** What the router needs from the team's settings: its policy and its default sound. */
  routingFor(tenant: TenantId): Promise<{ policy: RoutingPolicy; audio: Sound }>;
}

/** Stored settings (or none yet) as callers use them. */
export function settingsFrom(stored: TenantSettings | undefined): TenantSettings {
  const settings = stored ?? { userCaps: {} };
  // Member ids are keys: `toString` or `__proto__` must name a member's cap, not Object.prototype's.
  settings.userCaps = Object.assign(Object.create(null), settings.userCaps);
  settings.channels = Object.assign(Object.create(null), settings.channels);
  return settings;
}

/** A member's caps from the team's settings, the environment's defaults where unset. */
export function capsOf(s: TenantSettings, defaults: SettingsDefaults, userId: string): BudgetCaps {
  return {
    tenantCapMicros: s.tenantCapMicros ?? defaults.tenantCapMicros,
    userCapMicros: s.userCaps[userId] ?? s.userCapMicros ?? defaults.userCapMicros,
  };
}

/** What the router needs from the team's settings: its policy and its default sound. */
export function routingOf(s: TenantSettings, defaults: SettingsDefaults): { policy: RoutingPolicy; audio: Sound } {
  return { policy: s.policy ?? defaults.policy, audio: s.audio ?? DEFAULT_AUDIO };
}

/** What every implementation derives from `get` and the environment's defaults. */
export abstract class TenantSettingsBase implements TenantSettingsRepository {
  constructor(readonly defaults: SettingsDefaults) {}

  abstract get(tenant: TenantId): Promise<TenantSettings>;
  abstract update(tenant: TenantId, change: (settings: TenantSettings) => void): Promise<TenantSettings>;

  async capsFor(tenant: TenantId, userId: string): Promise<BudgetCaps> {
    return capsOf(await this.get(tenant), this.defaults, userId);
  }

  async policyFor(tenant: TenantId): Promise<RoutingPolicy> {
    return (await this.get(tenant)).policy ?? this.defaults.policy;
  }

  async routingFor(tenant: TenantId): Promise<{ policy: RoutingPolicy; audio: Sound }> {
    return routingOf(await this.get(tenant), this.defaults);
  }
}

/** One keyv document per tenant, changed under an in-process lock: right where one process writes the store. */
export class DocumentTenantSettings extends TenantSettingsBase {
  private readonly mutex = new KeyedMutex();
  private readonly documents: DocumentCache;

  constructor(store: KeyValueStore, defaults: SettingsDefaults) {
    super(defaults);
    this.documents = new DocumentCache(store);
  }

  private key(tenant: TenantId): string {
    return `settings:${tenant}`;
  }

  async get(tenant: TenantId): Promise<TenantSettings> {
    return settingsFrom(await this.documents.read<TenantSettings>(this.key(tenant)));
  }

  async update(tenant: TenantId, change: (settings: TenantSettings) => void): Promise<TenantSettings> {
    return this.mutex.run(this.key(tenant), async () => {
      const settings = await this.get(tenant);
      change(settings);
      await this.documents.write(this.key(tenant), settings);
      return settings;
    });
  }
}
