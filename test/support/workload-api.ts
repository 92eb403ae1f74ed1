/**
 * A SPIFFE Workload API server for the tests, built from the same `.proto` with @grpc/grpc-js on
 * a Unix socket (the way go-spiffe tests against a fake agent), driven by the test CA. It refuses
 * calls without the `workload.spiffe.io: true` metadata with InvalidArgument, as the standard says.
 */
import * as grpc from '@grpc/grpc-js';
import { rm } from 'node:fs/promises';
import { createPrivateKey } from 'node:crypto';
import { workloadApiDefinition, type X509SvidResponseMessage } from '../../node-adapter/spiffe/workload/client.js';
import type { SVID, TestCA } from './ca.js';

/** An SVID response for the proto: concatenated DER chain and bundle, PKCS#8 DER key. */
export function svidResponse(svids: Array<{ svid: SVID; bundle: readonly TestCA[] | Uint8Array[]; hint?: string; keyPem?: string }>, federated: Record<string, readonly TestCA[]> = {}): X509SvidResponseMessage {
  const bundleDer = (b: readonly TestCA[] | Uint8Array[]) => Buffer.concat(b.map((x) => Buffer.from(x instanceof Uint8Array ? x : x.rootDer)));
  return {
    svids: svids.map(({ svid, bundle, hint, keyPem }) => ({
      spiffe_id: svid.id,
      x509_svid: Buffer.concat(svid.der.map((d) => Buffer.from(d))),
      x509_svid_key: createPrivateKey(keyPem ?? svid.keyPem).export({ type: 'pkcs8', format: 'der' }),
      bundle: bundleDer(bundle),
      hint: hint ?? '',
    })),
    crl: [],
    federated_bundles: Object.fromEntries(Object.entries(federated).map(([td, cas]) => [`spiffe://${td}`, bundleDer(cas)])),
  };
}

export class FakeWorkloadApi {
  readonly socketPath: string;
  #server: grpc.Server | undefined;
  #current: X509SvidResponseMessage | undefined;
  #deny = false;
  readonly #streams = new Set<grpc.ServerWritableStream<unknown, X509SvidResponseMessage>>();
  readonly #jwtStreams = new Set<grpc.ServerWritableStream<unknown, { bundles: Record<string, Buffer> }>>();
  #jwtBundles: { bundles: Record<string, Buffer> } | undefined;
  /** Mints the JWT-SVIDs FetchJWTSVID answers with. */
  jwtMinter: ((audience: string[], spiffeId: string) => Promise<Array<{ spiffe_id: string; svid: string; hint: string }>>) | undefined;
  jwtCalls = 0;

  /** Sets the JWT bundles (trust domain → JWKS) and streams them to every FetchJWTBundles call. */
  pushJwtBundles(bundles: Record<string, { keys: JsonWebKey[] }>): void {
    this.#jwtBundles = { bundles: Object.fromEntries(Object.entries(bundles).map(([td, jwks]) => [`spiffe://${td}`, Buffer.from(JSON.stringify(jwks))])) };
    for (const s of this.#jwtStreams) s.write(this.#jwtBundles);
  }

  readonly #bundleStreams = new Set<grpc.ServerWritableStream<unknown, { crl: Buffer[]; bundles: Record<string, Buffer> }>>();
  #x509Bundles: { crl: Buffer[]; bundles: Record<string, Buffer> } | undefined;
  /** Answers ValidateJWTSVID ({ spiffe_id, claims: google.protobuf.Struct }). */
  jwtValidator: ((token: string, audience: string) => Promise<{ spiffe_id: string; claims: unknown }>) | undefined;

  /** Sets the X.509 bundles (trust domain → CAs, or raw DER) for FetchX509Bundles and streams them. */
  pushX509Bundles(bundles: Record<string, readonly TestCA[] | Buffer>): void {
    this.#x509Bundles = {
      crl: [],
      bundles: Object.fromEntries(Object.entries(bundles).map(([td, v]) => [`spiffe://${td}`, Buffer.isBuffer(v) ? v : Buffer.concat(v.map((c) => Buffer.from(c.rootDer)))])),
    };
    for (const s of this.#bundleStreams) s.write(this.#x509Bundles);
  }

  /** Calls refused for missing metadata. */
  refusedWithoutMetadata = 0;
  calls = 0;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  get address(): string {
    return `unix://${this.socketPath}`;
  }

  async start(): Promise<void> {
    const server = new grpc.Server();
    const Service = workloadApiDefinition()['SpiffeWorkloadAPI'] as grpc.ServiceClientConstructor;
    server.addService(Service.service, {
      FetchX509SVID: (call: grpc.ServerWritableStream<unknown, X509SvidResponseMessage>) => {
        this.calls++;
        if (call.metadata.get('workload.spiffe.io')[0] !== 'true') {
          this.refusedWithoutMetadata++;
          call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'security header missing from request' });
          return;
        }
        if (this.#deny) {
          call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: 'no identity issued' });
          return;
        }
        this.#streams.add(call);
        call.on('cancelled', () => this.#streams.delete(call));
        call.on('close', () => this.#streams.delete(call));
        if (this.#current) call.write(this.#current);
      },
      FetchX509Bundles: (call: grpc.ServerWritableStream<unknown, { crl: Buffer[]; bundles: Record<string, Buffer> }>) => {
        if (call.metadata.get('workload.spiffe.io')[0] !== 'true') return call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'security header missing from request' });
        this.#bundleStreams.add(call);
        call.on('cancelled', () => this.#bundleStreams.delete(call));
        if (this.#x509Bundles) call.write(this.#x509Bundles);
      },
      FetchJWTSVID: (call: grpc.ServerUnaryCall<{ audience: string[]; spiffe_id: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        this.jwtCalls++;
        if (call.metadata.get('workload.spiffe.io')[0] !== 'true') return cb({ code: grpc.status.INVALID_ARGUMENT, details: 'security header missing from request' });
        if (this.#deny) return cb({ code: grpc.status.PERMISSION_DENIED, details: 'no identity issued' });
        if (!this.jwtMinter) return cb({ code: grpc.status.UNIMPLEMENTED });
        this.jwtMinter(call.request.audience, call.request.spiffe_id).then(
          (svids) => cb(null, { svids }),
          (err: Error) => cb({ code: grpc.status.INTERNAL, details: err.message }),
        );
      },
      FetchJWTBundles: (call: grpc.ServerWritableStream<unknown, { bundles: Record<string, Buffer> }>) => {
        if (call.metadata.get('workload.spiffe.io')[0] !== 'true') return call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'security header missing from request' });
        this.#jwtStreams.add(call);
        call.on('cancelled', () => this.#jwtStreams.delete(call));
        if (this.#jwtBundles) call.write(this.#jwtBundles);
      },
      ValidateJWTSVID: (call: grpc.ServerUnaryCall<{ audience: string; svid: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (call.metadata.get('workload.spiffe.io')[0] !== 'true') return cb({ code: grpc.status.INVALID_ARGUMENT, details: 'security header missing from request' });
        if (!this.jwtValidator) return cb({ code: grpc.status.UNIMPLEMENTED });
        this.jwtValidator(call.request.svid, call.request.audience).then(
          (r) => cb(null, r),
          () => cb({ code: grpc.status.INVALID_ARGUMENT, details: 'token is invalid' }),
        );
      },
    });
    await rm(this.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${this.socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    this.#server = server;
  }

  /** Sets the response and streams it to every open FetchX509SVID call. */
  push(response: X509SvidResponseMessage): void {
    this.#current = response;
    for (const s of this.#streams) s.write(response);
  }

  /** From now on, calls (and open streams) get PermissionDenied. */
  denyAll(): void {
    this.#deny = true;
    for (const s of this.#streams) s.emit('error', { code: grpc.status.PERMISSION_DENIED, details: 'no identity issued' });
    this.#streams.clear();
  }

  allow(): void {
    this.#deny = false;
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  /** Stops the agent and removes its socket (an agent restart is stop() then start()). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#streams.clear();
    this.#jwtStreams.clear();
    this.#bundleStreams.clear();
    server?.forceShutdown();
    await rm(this.socketPath, { force: true });
  }
}
