/**
 * The OpenTelemetry SDK, started only when the standard OTEL_* variables ask
 * for an exporter (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and OTEL_SDK_DISABLED is not true.
 * Everything else (protocol, headers, sampler, resource attributes) the SDK
 * reads from the same variables. No auto-instrumentation: the spans are the
 * service's own (tracing.ts), named in the domain's words.
 */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter) return exporter !== 'none';
  return Boolean(
    env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim(),
  );
}

let running: { shutdown(): Promise<void> } | undefined;

/** Flushes the spans not yet exported and stops the SDK (at shutdown); a no-op when not started. */
export async function stopTracing(): Promise<void> {
  const sdk = running;
  running = undefined;
  await sdk?.shutdown();
}

/** Starts the SDK when configured (once per process); true when it runs. */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (running) return true;
  if (!tracingConfigured(env)) return false;
  // Loaded only when used: the SDK and its exporters cost start-up time otherwise.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK } =
    require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { resourceFromAttributes } =
    require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const sdk = new NodeSDK({
    ...(env.OTEL_SERVICE_NAME
      ? {}
      : { resource: resourceFromAttributes({ 'service.name': serviceName }) }),
    instrumentations: [],
  });
  sdk.start();
  running = sdk;
  return true;
}
