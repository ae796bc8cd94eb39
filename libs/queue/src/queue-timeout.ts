/**
 * How long a fail-fast producer waits for Redis. BullMQ waits for a connection that never came up
 * (Redis down since start-up) without end; requests and relays must not.
 */
const QUEUE_TIMEOUT_MS = 3_000;

/** `operation`, or a rejection once `timeoutMs` has passed (the job may still be added later). */
export async function withQueueTimeout<T>(operation: Promise<T>, timeoutMs = QUEUE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`queue did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([operation, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
