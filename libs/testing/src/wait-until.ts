/**
 * Polls `check` until it returns a value (anything but `undefined` or `false`) and resolves with it;
 * rejects after `timeoutMs`. Tests wait on a final state this way instead of sleeping.
 */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
