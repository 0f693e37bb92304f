/**
 * Drives the real OpenID provider of oidc-provider-child.mjs: tokens come from
 * its token endpoint (client_credentials grant, resource indicators), keys are
 * rotated by asking it to publish another set.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const CHILD = path.join(__dirname, 'oidc-provider-child.mjs');
export const OIDC_CLIENT_SECRET = 'client-secret-for-the-sign-in-tests';
export const LEDGER_AUDIENCE = 'https://ledger.test';

export type OidcClient =
  'clinic-a-clinician' | 'clinic-a-auditor' | 'clinic-b-clinician' | 'clinic-a-no-roles';

export type ProviderKey = 'rsa-1' | 'ec-2' | 'rsa-3';

interface Ready {
  issuer: string;
  otherIssuer: string;
  jwksUrl: string;
  audience: string;
}

export class OidcTestProvider {
  private constructor(
    private readonly child: ChildProcess,
    readonly endpoints: Ready,
  ) {}

  static async start(): Promise<OidcTestProvider> {
    const child = fork(CHILD, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let output = '';
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the OpenID provider did not start:\n${output}`)),
        20000,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const line = /^\{"ready".*$/m.exec(output);
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line[0]) as { ready: Ready }).ready);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the OpenID provider exited with ${code}:\n${output}`));
      });
    });
    return new OidcTestProvider(child, ready);
  }

  /** An access token from the provider's token endpoint. */
  async token(
    client: OidcClient,
    options: { resource?: string; issuer?: 'main' | 'other' } = {},
  ): Promise<string> {
    const base = options.issuer === 'other' ? this.endpoints.otherIssuer : this.endpoints.issuer;
    const response = await fetch(`${base}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client}:${OIDC_CLIENT_SECRET}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'ledger',
        resource: options.resource ?? LEDGER_AUDIENCE,
      }),
    });
    const body = (await response.json()) as { access_token?: string };
    if (!response.ok || !body.access_token) {
      throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
    }
    return body.access_token;
  }

  /** Publishes these keys from now on; the first one signs new tokens. */
  async publish(use: ProviderKey[]): Promise<void> {
    await this.ask({ cmd: 'keys', use }, 'keys');
  }

  /** How often the ledger's issuer's JWKS was fetched so far. */
  async jwksFetches(): Promise<number> {
    const answer = await this.ask<{ counts: { main: number } }>({ cmd: 'counts' }, 'counts');
    return answer.counts.main;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }

  private ask<T>(message: object, reply: string): Promise<T> {
    return new Promise<T>((resolve) => {
      const onMessage = (answer: { reply?: string }) => {
        if (answer.reply !== reply) return;
        this.child.off('message', onMessage);
        resolve(answer as T);
      };
      this.child.on('message', onMessage);
      this.child.send(message);
    });
  }
}
