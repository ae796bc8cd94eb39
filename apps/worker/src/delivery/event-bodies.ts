import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Batcher } from '@app/batching';
import { DeliveryStore, StoredEvent } from './delivery.store';

/** Bodies kept in memory, by their size in UTF-16 code units (about 2 bytes each). */
const CACHE_CHARACTERS = 8 * 1024 * 1024;

/**
 * Event bodies by event id, read from PostgreSQL once per event rather than once per delivery:
 * fan-out remembers what it just wrote, and misses are loaded in batches. An event's body never
 * changes once written (a re-used id with other content is refused), so nothing goes stale, but for
 * an erasure, which empties it (README → API → Erasure). The erasure runs in the API, so this cache
 * never learns of it; it need not, because a body is asked for only by an attempt of a claimed
 * delivery (or a manual redelivery, which checks erased_at first, DELIVERY_STATE_SQL):
 * - claimed after the erasure committed: impossible for an erased event. The erasure drops every
 *   unfinished delivery of it while holding its row, fan-out adds none to it afterwards (it reads
 *   the row under a key-share lock), a recover skips it, and `dropped` is final (delivery.sql.ts
 *   EVENT_ERASED).
 * - claimed before: the attempt is under way, like one already sent when the erasure commits. A
 *   cached body may go out this once; a body loaded now does not exist (EVENT_BODIES_SQL skips erased
 *   events), so the delivery is dropped (get answers undefined) and nothing, an empty body least of
 *   all, is signed or sent.
 */
@Injectable()
export class EventBodies implements OnApplicationShutdown {
  private readonly cache = new Map<string, StoredEvent>();
  private characters = 0;
  private readonly loader: Batcher<string, StoredEvent | undefined>;

  constructor(store: DeliveryStore) {
    this.loader = new Batcher({
      maxSize: 100,
      maxDelayMs: 2,
      maxInFlight: 2,
      run: async (ids) => {
        const found = await store.eventBodies([...new Set(ids)]);
        return ids.map((id) => found.get(id));
      },
    });
  }

  /** Undefined when the event is gone (retention) or erased. */
  async get(eventId: string): Promise<StoredEvent | undefined> {
    const cached = this.cache.get(eventId);
    if (cached) return cached;
    const loaded = await this.loader.add(eventId);
    if (loaded) this.remember(eventId, loaded);
    return loaded;
  }

  remember(eventId: string, event: StoredEvent): void {
    if (this.cache.has(eventId)) return;
    this.cache.set(eventId, event);
    this.characters += event.body.length;
    // Map iterates in insertion order: the oldest entries go first.
    for (const [id, old] of this.cache) {
      if (this.characters <= CACHE_CHARACTERS || this.cache.size === 1) break;
      this.cache.delete(id);
      this.characters -= old.body.length;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loader.close();
  }
}
