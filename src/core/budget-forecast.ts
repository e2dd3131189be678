/**
 * Answer first, then accept, when the answer is already known. A platform that wants its
 * acknowledgement within 3 s (Discord's defer, https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction)
 * and shows it publicly must know before sending it whether the request will be refused, since a
 * refusal is private. The acceptance (a transaction on the store) is the one that knows; under a
 * burst, hundreds of them in turn kept every defer waiting.
 *
 * The forecast knows it from memory in the cases that matter. The intake quotes the request with
 * every check the acceptance makes but the reservation (the team's rules, the characters named, the
 * route and its price; all read from memory on the embedded store). The forecast holds, per team and
 * month, what the store said was used (read once, then taken from each acceptance's answer), plus
 * what this process has answered and not yet accepted. When the quote fits under both caps with all
 * of that counted, the answer goes out first and the acceptance runs right after it. Otherwise (a
 * quote that refuses, no room, a remix, an image to fetch) the acceptance comes first, as before.
 *
 * The forecast only picks the order; the acceptance still decides. Where its memory is behind
 * (another replica spent, an admin lowered a cap in the last seconds), a request answered first can
 * still be refused: the adapter then takes its public answer back and says why privately.
 */
import type { Clock } from './clock.js';
import { monthOf } from './ledger.js';
import type { Micros } from './money.js';
import type { BudgetCaps, Ledger } from './ports.js';
import { QuietTurns } from './quiet-turns.js';
import type { Actor, GenerationInput, TenantId } from './types.js';

/** How long a team's figures are trusted before they are read again (money released, another replica's spending). */
const FORECAST_TTL_MS = 10_000;

interface TeamMonth {
  month: string;
  readAt: number;
  /** Spent plus reserved, as of the last read or acceptance. */
  teamUsed: Micros;
  memberUsed: Map<string, Micros>;
  /** Answered here, not accepted yet: what each was quoted. */
  teamPending: Micros;
  memberPending: Map<string, Micros>;
}

export interface ForecastDeps {
  ledger: Pick<Ledger, 'summary'>;
  /** The intake's quote (job-intake.ts): throws what the acceptance would refuse with. */
  quote: (actor: Actor, input: GenerationInput, takes: number) => Promise<{ estimateMicros: Micros; caps: BudgetCaps }>;
  clock: Clock;
  /** The process's arrivals (the adapters note theirs here too): answered acceptances wait for a pause in them. */
  arrivals?: QuietTurns;
}

/** What an acceptance answers with: the money left under each cap after it. */
export interface LeftAfter {
  tenantLeftMicros: Micros;
  userLeftMicros: Micros;
}

interface Held {
  micros: Micros;
  caps: BudgetCaps;
}

export class BudgetForecast {
  private readonly teams = new Map<TenantId, TeamMonth>();
  private readonly reading = new Map<TenantId, Promise<TeamMonth>>();
  private line: Promise<void> = Promise.resolve();
  private readonly arrivals: QuietTurns;

  constructor(private readonly deps: ForecastDeps) {
    this.arrivals = deps.arrivals ?? new QuietTurns();
  }

  /**
   * Runs `accept`, first sending `answer` when the request surely passes. A refusal after the answer
   * went out reaches the caller like any other; the team's figures are read again next time.
   */
  async acceptAnswering<A extends LeftAfter>(actor: Actor, input: GenerationInput | undefined, takes: number, answer: (() => Promise<void>) | undefined, accept: () => Promise<A>): Promise<A> {
    const held = input && answer ? await this.hold(actor, input, takes) : undefined;
    if (held) {
      this.arrivals.arrived();
      try {
        await answer!();
      } catch (error) {
        this.drop(actor, held);
        throw error;
      }
    }
    try {
      const accepted = held ? await this.afterAnswers(accept) : await accept();
      if (held) this.learn(actor, accepted, held);
      else this.stale(actor.tenant);
      return accepted;
    } catch (error) {
      if (held) this.drop(actor, held);
      this.stale(actor.tenant);
      throw error;
    }
  }

  /**
   * Acceptances of answered requests start one per turn of the event loop, and only on a turn in which
   * no request arrived (quiet-turns.ts): under a burst, the answers still to be sent go first; the
   * holds keep the cap exact meanwhile. (On SQLite an acceptance runs start to end within its turn;
   * on Postgres they overlap, each waiting for its own statements.)
   */
  private afterAnswers<T>(accept: () => Promise<T>): Promise<T> {
    this.line = this.line.then(() => this.arrivals.quiet());
    return this.line.then(accept);
  }

  /** The quote, held as pending, when it fits under both caps with everything pending counted; else undefined. */
  async hold(actor: Actor, input: GenerationInput, takes: number): Promise<Held | undefined> {
    let quote;
    try {
      quote = await this.deps.quote(actor, input, takes);
    } catch {
      return undefined; // the acceptance refuses it, privately
    }
    let team;
    try {
      team = await this.team(actor.tenant);
    } catch {
      return undefined; // the month could not be read: accept first, as without a forecast
    }
    const memberPending = team.memberPending.get(actor.userId) ?? 0;
    const fitsTeam = team.teamUsed + team.teamPending + quote.estimateMicros <= quote.caps.tenantCapMicros;
    const fitsMember = (team.memberUsed.get(actor.userId) ?? 0) + memberPending + quote.estimateMicros <= quote.caps.userCapMicros;
    if (!fitsTeam || !fitsMember) return undefined;
    team.teamPending += quote.estimateMicros;
    team.memberPending.set(actor.userId, memberPending + quote.estimateMicros);
    return { micros: quote.estimateMicros, caps: quote.caps };
  }

  private async team(tenant: TenantId): Promise<TeamMonth> {
    const now = this.deps.clock.now();
    const known = this.teams.get(tenant);
    if (known && known.month === monthOf(now) && now - known.readAt < FORECAST_TTL_MS) return known;
    let reading = this.reading.get(tenant);
    if (!reading) {
      // One read for every request of the team that arrives before it ends.
      reading = this.read(tenant, now).finally(() => this.reading.delete(tenant));
      this.reading.set(tenant, reading);
    }
    return reading;
  }

  private async read(tenant: TenantId, now: number): Promise<TeamMonth> {
    const month = monthOf(now);
    const summary = await this.deps.ledger.summary(tenant, month);
    const used = (line: { spentMicros: Micros; reservedMicros: Micros }) => line.spentMicros + line.reservedMicros;
    const previous = this.teams.get(tenant);
    const team: TeamMonth = {
      month,
      readAt: now,
      teamUsed: used(summary.total),
      memberUsed: new Map(Object.entries(summary.byUser).map(([id, line]) => [id, used(line)])),
      // Requests answered before the read are still to be accepted: their holds carry over.
      teamPending: previous?.month === month ? previous.teamPending : 0,
      memberPending: previous?.month === month ? previous.memberPending : new Map(),
    };
    this.teams.set(tenant, team);
    return team;
  }

  /** An acceptance's answer is the store's latest word on what is used. */
  private learn(actor: Actor, left: LeftAfter, held: Held): void {
    this.drop(actor, held);
    const team = this.teams.get(actor.tenant);
    if (!team) return;
    team.teamUsed = held.caps.tenantCapMicros - left.tenantLeftMicros;
    team.memberUsed.set(actor.userId, held.caps.userCapMicros - left.userLeftMicros);
  }

  private drop(actor: Actor, held: Held): void {
    const team = this.teams.get(actor.tenant);
    if (!team) return;
    team.teamPending -= held.micros;
    team.memberPending.set(actor.userId, (team.memberPending.get(actor.userId) ?? 0) - held.micros);
  }

  /** Read again next time; the holds of requests still on their way stay counted. */
  private stale(tenant: TenantId): void {
    const team = this.teams.get(tenant);
    if (team) team.readAt = Number.NEGATIVE_INFINITY;
  }
}
