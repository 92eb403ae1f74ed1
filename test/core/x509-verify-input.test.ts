// verifyChain's list inputs: a PEM bundle string where a list is expected is refused with
// ERR_INPUT_INVALID saying so (it used to be read one character at a time: ERR_PEM_MALFORMED);
// a PEM string holding several certificates is fine as one element of the list.
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../shared/x509/index.js';
import { TestCA, type SVID } from '../support/ca.js';

let root: TestCA;
let inter: TestCA;
let inter2: TestCA;
let svid: SVID;
beforeAll(async () => {
  root = await TestCA.create({ trustDomain: 'example.org' });
  inter = await root.childCA();
  inter2 = await inter.childCA();
  svid = await inter2.issueSVID('spiffe://example.org/agent/a');
});

async function code(p: Promise<unknown>): Promise<{ code?: string; message?: string }> {
  try {
    await p;
    return {};
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
}

describe('verifyChain list inputs', () => {
  it.each([
    ['intermediates as one PEM string', () => ({ intermediates: inter2.pem + inter.pem, roots: [root.pem] }), 'intermediates'],
    ['roots as one PEM string', () => ({ intermediates: [inter2.pem, inter.pem], roots: root.pem }), 'roots'],
    ['intermediates as DER bytes', () => ({ intermediates: inter.der, roots: [root.pem] }), 'intermediates'],
  ])('%s is ERR_INPUT_INVALID, saying to pass a list', async (_name, input, name) => {
    const r = await code(verifyChain({ leaf: svid.der[0]!, ...(input() as unknown as { roots: string[] }) }));
    expect(r.code).toBe('ERR_INPUT_INVALID');
    expect(r.message).toContain(`\`${name}\` must be an array`);
    expect(r.message).toContain('[pem]');
  });

  it.each([
    ['a PEM bundle as one element', () => [inter2.pem + inter.pem]],
    ['one PEM per element', () => [inter.pem, inter2.pem]],
    ['parsed certificates and DER', () => [svid.certificates[1]!, inter.der]],
  ])('intermediates given as %s verify', async (_name, intermediates) => {
    const { chain } = await verifyChain({ leaf: svid.der[0]!, intermediates: intermediates(), roots: [root.pem] });
    expect(chain).toHaveLength(4);
  });
});
