import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Batcher } from '@app/batching';
import { DeliveryStore, StoredEvent } from './delivery.store';

/** Bodies kept in memory, by their size in UTF-16 code units (about 2 bytes each). */
const CACHE_CHARACTERS = 8 * 1024 * 1024;

/**
 * Event bodies by event id, read from PostgreSQL once per event rather than once per delivery:
 * fan-out remembers what it just wrote, and misses are loaded in batches. An event's body never
 * changes once written (a re-used id with other content is refused), so nothing goes stale; an
 * erasure empties it, but a delivery of an erased event is dropped at its claim, before its body is
 * asked for (README → API → Erasure).
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
