// WAV bytes for a packed window. Samples are stored as 32-bit IEEE float so the audio the student
// trains on is bit for bit the audio the teacher labelled (16-bit PCM would requantise it).

/**
 * A mono IEEE-float WAV file (format tag 3, 32 bits): RIFF header, an 18-byte `fmt ` chunk with
 * `cbSize = 0` and the `fact` chunk non-PCM formats carry, then the samples little-endian.
 *
 * @example
 * ```ts
 * writeFileAtomic('pack.wav', floatWav(samples, 16000));
 * ```
 */
export function floatWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const dataBytes = samples.length * 4;
  const header = 12 + (8 + 18) + (8 + 4) + 8;
  const bytes = new Uint8Array(header + dataBytes);
  const v = new DataView(bytes.buffer);
  const ascii = (at: number, s: string): void => {
    for (let i = 0; i < s.length; i++) v.setUint8(at + i, s.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  v.setUint32(4, bytes.length - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 18, true);
  v.setUint16(20, 3, true); // WAVE_FORMAT_IEEE_FLOAT
  v.setUint16(22, 1, true); // channels
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 4, true); // byte rate
  v.setUint16(32, 4, true); // block align
  v.setUint16(34, 32, true); // bits per sample
  v.setUint16(36, 0, true); // cbSize
  ascii(38, 'fact');
  v.setUint32(42, 4, true);
  v.setUint32(46, samples.length, true);
  ascii(50, 'data');
  v.setUint32(54, dataBytes, true);
  for (let i = 0; i < samples.length; i++) v.setFloat32(header + 4 * i, samples[i]!, true);
  return bytes;
}
