// Builds WAV files in memory for tests: every encoding, channel layout and chunk arrangement the
// decoder claims to handle, plus deliberately broken ones.

export interface WavSpec {
  /** Interleaved-by-channel float samples in [-1, 1): channels[c][i]. */
  channels: Float32Array[];
  sampleRate: number;
  encoding?: 'pcm' | 'float';
  bits?: 8 | 16 | 24 | 32 | 64;
  extensible?: boolean;
  /** Extra chunks written between fmt and data, e.g. LIST, with odd sizes to test padding. */
  extraChunks?: Array<{ id: string; body: Uint8Array }>;
  /** Override the data chunk size field (a lying header). */
  dataSizeField?: number;
  /** Override the fmt fields. */
  blockAlignField?: number;
  formatTagField?: number;
  rf64?: boolean;
}

function chunk(id: string, body: Uint8Array, sizeField = body.length): Uint8Array {
  const out = new Uint8Array(8 + body.length + (body.length & 1));
  const v = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = id.charCodeAt(i);
  v.setUint32(4, sizeField, true);
  out.set(body, 8);
  return out;
}

export function quantize(x: number, bits: number): number {
  const scale = 2 ** (bits - 1);
  return Math.max(-scale, Math.min(scale - 1, Math.round(x * scale)));
}

export function makeWav(spec: WavSpec): Uint8Array {
  const encoding = spec.encoding ?? 'pcm';
  const bits = spec.bits ?? 16;
  const ch = spec.channels.length;
  const n = spec.channels[0]!.length;
  const bps = bits / 8;
  const data = new Uint8Array(n * ch * bps);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < ch; c++) {
      const x = spec.channels[c]![i]!;
      const o = (i * ch + c) * bps;
      if (encoding === 'float') {
        if (bits === 32) dv.setFloat32(o, x, true);
        else dv.setFloat64(o, x, true);
      } else if (bits === 8) dv.setUint8(o, quantize(x, 8) + 128);
      else if (bits === 16) dv.setInt16(o, quantize(x, 16), true);
      else if (bits === 24) {
        const q = quantize(x, 24);
        dv.setUint8(o, q & 0xff);
        dv.setUint8(o + 1, (q >> 8) & 0xff);
        dv.setUint8(o + 2, (q >> 16) & 0xff);
      } else dv.setInt32(o, quantize(x, 32), true);
    }
  }
  const tag = spec.formatTagField ?? (encoding === 'float' ? 3 : 1);
  const fmt = new Uint8Array(spec.extensible ? 40 : 16);
  const fv = new DataView(fmt.buffer);
  fv.setUint16(0, spec.extensible ? 0xfffe : tag, true);
  fv.setUint16(2, ch, true);
  fv.setUint32(4, spec.sampleRate, true);
  fv.setUint32(8, spec.sampleRate * ch * bps, true);
  fv.setUint16(12, spec.blockAlignField ?? ch * bps, true);
  fv.setUint16(14, bits, true);
  if (spec.extensible) {
    fv.setUint16(16, 22, true);
    fv.setUint16(18, bits, true);
    fv.setUint32(20, ch === 2 ? 3 : 0, true);
    // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: {000000xx-0000-0010-8000-00aa00389b71}
    fv.setUint16(24, tag, true);
    fmt.set(
      [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71],
      26,
    );
  }
  const parts: Uint8Array[] = [];
  if (spec.rf64) {
    const ds64 = new Uint8Array(28);
    const d = new DataView(ds64.buffer);
    d.setUint32(8, data.length, true);
    d.setUint32(16, n, true);
    parts.push(chunk('ds64', ds64));
  }
  parts.push(chunk('fmt ', fmt));
  for (const extra of spec.extraChunks ?? []) parts.push(chunk(extra.id, extra.body));
  parts.push(chunk('data', data, spec.rf64 ? 0xffffffff : (spec.dataSizeField ?? data.length)));
  const total = 12 + parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  const ov = new DataView(out.buffer);
  out.set(new TextEncoder().encode(spec.rf64 ? 'RF64' : 'RIFF'), 0);
  ov.setUint32(4, spec.rf64 ? 0xffffffff : total - 8, true);
  out.set(new TextEncoder().encode('WAVE'), 8);
  let at = 12;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Deterministic test signal in [-0.9, 0.9]. */
export function testSignal(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++)
    x[i] = 0.6 * Math.sin(0.013 * i * (seed + 1) + seed) + 0.3 * Math.sin(0.0021 * i + 2 * seed);
  return x;
}
