/** Polls a condition until it holds, failing the test with `what` after the timeout. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
