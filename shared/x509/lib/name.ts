/** Distinguished names: RFC 4514 text for messages, RDN lists and attributes for name constraints. */
import { TAG, readOid, readTlv, type Tlv } from './der.js';

const E = 'ERR_X509_MALFORMED' as const;

const SHORT: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');
const utf16be = new TextDecoder('utf-16be');

function valueText(der: Uint8Array, v: Tlv): string | undefined {
  const bytes = der.subarray(v.cs, v.end);
  switch (v.tag) {
    case TAG.UTF8:
      return utf8.decode(bytes);
    case TAG.PRINTABLE:
    case TAG.IA5:
    case TAG.T61:
      return latin1.decode(bytes);
    case TAG.BMP:
      return utf16be.decode(bytes);
    default:
      return undefined;
  }
}

function escape(s: string): string {
  let out = s.replace(/[\\,+"<>;=]/g, (c) => '\\' + c);
  if (out.startsWith('#') || out.startsWith(' ')) out = '\\' + out;
  if (out.endsWith(' ')) out = out.slice(0, -1) + '\\ ';
  return out;
}

/** The relative distinguished names of a Name, in encoding order, as TLVs over `der`. */
export function rdns(der: Uint8Array): Tlv[] {
  const name = readTlv(der, 0, der.length, E);
  const out: Tlv[] = [];
  for (let p = name.cs; p < name.end; ) {
    const rdn = readTlv(der, p, name.end, E);
    out.push(rdn);
    p = rdn.end;
  }
  return out;
}

/** Every (type OID, value TLV) of a Name. */
export function attributes(der: Uint8Array): Array<{ type: string; value: Tlv }> {
  const out: Array<{ type: string; value: Tlv }> = [];
  for (const rdn of rdns(der)) {
    for (let q = rdn.cs; q < rdn.end; ) {
      const atv = readTlv(der, q, rdn.end, E);
      const typeT = readTlv(der, atv.cs, atv.end, E);
      out.push({ type: readOid(der, typeT, E), value: readTlv(der, typeT.end, atv.end, E) });
      q = atv.end;
    }
  }
  return out;
}

/** RFC 4514 string (most specific RDN first). For people: never compare names by this text. */
export function nameText(der: Uint8Array): string {
  const parts: string[] = [];
  for (const rdn of rdns(der)) {
    const avas: string[] = [];
    for (let q = rdn.cs; q < rdn.end; ) {
      const atv = readTlv(der, q, rdn.end, E);
      const typeT = readTlv(der, atv.cs, atv.end, E);
      const type = readOid(der, typeT, E);
      const v = readTlv(der, typeT.end, atv.end, E);
      const text = valueText(der, v);
      let hex = '';
      if (text === undefined) for (let i = v.start; i < v.end; i++) hex += der[i]!.toString(16).padStart(2, '0');
      avas.push(`${SHORT[type] ?? type}=${text === undefined ? '#' + hex : escape(text)}`);
      q = atv.end;
    }
    parts.unshift(avas.join('+'));
  }
  return parts.join(',');
}
