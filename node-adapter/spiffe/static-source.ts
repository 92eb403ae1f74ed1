/** A source whose SVID and bundles are given once (tests, one-shot tools, material from elsewhere). */
import { BaseX509Source } from './base-source.js';
import { validateX509Material, type X509MaterialInput } from './material.js';

/**
 * An {@link X509Source} with fixed material, validated like a rotation would be.
 *
 * @example
 * const source = await StaticX509Source.create({ certificates: svidPem, privateKey: keyPem, bundle: caPem })
 * const server = createMtlsServer({ source, authorize: authorizeMemberOf('example.org') }, handler)
 */
export class StaticX509Source extends BaseX509Source {
  private constructor() {
    super();
  }

  static async create(input: X509MaterialInput): Promise<StaticX509Source> {
    const source = new StaticX509Source();
    const { svid, bundles } = await validateX509Material(input);
    source.swap(svid, bundles);
    return source;
  }

  /** Replaces the material (validated first; on failure the old material stays and this throws). */
  async update(input: X509MaterialInput): Promise<void> {
    const { svid, bundles } = await validateX509Material(input);
    if (this.closed) return;
    this.swap(svid, bundles);
  }
}
