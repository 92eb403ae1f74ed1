import { describe, expect, it } from 'vitest';
import { b64Decode, b64Encode, b64urlDecode, b64urlEncode, toHex } from '../../shared/lib/encoding.js';
import { TrustError } from '../../shared/errors.js';

describe('base64', () => {
  const cases: Array<[string, string, string]> = [
    ['', '', ''],
    ['f', 'Zg==', 'Zg'],
    ['fo', 'Zm8=', 'Zm8'],
    ['foo', 'Zm9v', 'Zm9v'],
    ['\u00ff\u00fe', 'w7/Dvg==', 'w7_Dvg'],
  ];
  it.each(cases)('round-trips %j', (text, std, url) => {
    const bytes = new TextEncoder().encode(text);
    expect(b64Encode(bytes)).toBe(std);
    expect(b64urlEncode(bytes)).toBe(url);
    expect(toHex(b64Decode(std))).toBe(toHex(bytes));
    expect(toHex(b64urlDecode(url))).toBe(toHex(bytes));
  });

  it.each(['Zg', 'Zg=', 'Z===', 'Zh==', 'Zm9v\n', 'Zm+v'])('rejects malformed standard base64 %j', (bad) => {
    const fn = () => b64Decode(bad === 'Zm+v' ? 'Zm-v' : bad);
    expect(fn).toThrow(TrustError);
    try { fn(); } catch (e) { expect((e as TrustError).code).toBe('ERR_BASE64_MALFORMED'); }
  });

  it.each(['Zg==', 'Z', 'Zh', 'Zm+v', 'Zm9v '])('rejects malformed base64url %j', (bad) => {
    try { b64urlDecode(bad); expect.unreachable(); } catch (e) { expect((e as TrustError).code).toBe('ERR_BASE64_MALFORMED'); }
  });
});
