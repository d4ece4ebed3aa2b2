;; Polyphase FIR kernel for Resampler (exact-phase path), f32x4 SIMD.
;; Build: node tools/reference/audio/build-wasm.mjs  (writes polyphase-wasm.ts next to this file)
;;
;; Memory layout is owned by the caller (src/resample-simd.ts): a coefficient table of
;; `phases` rows × `taps` f32 (taps a multiple of 16, zero padded), an input window, an output.
;; For n in [0, count): y[n] = Σ_k table[row·taps + k] · x[pos + k], then the position advances
;; by down/up input samples: pos += stepInt, phase += stepFrac, carry when phase ≥ up. The caller
;; stores the table rows in the order outputs visit them (output n uses row n mod up), so the row
;; index simply counts up and wraps: the table streams through the cache instead of being read
;; in the scattered order phase = n·down mod up.
(module
  (memory (export "memory") 1)
  (func (export "run")
    (param $table i32) (param $taps i32) (param $x i32) (param $out i32) (param $count i32)
    (param $pos i32) (param $phase i32) (param $up i32) (param $stepInt i32) (param $stepFrac i32)
    (param $rowIndex i32)
    (local $n i32) (local $k i32) (local $row i32) (local $src i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (block $done
      (loop $outputs
        (br_if $done (i32.ge_u (local.get $n) (local.get $count)))
        (local.set $row (i32.add (local.get $table)
          (i32.shl (i32.mul (local.get $rowIndex) (local.get $taps)) (i32.const 2))))
        (local.set $src (i32.add (local.get $x) (i32.shl (local.get $pos) (i32.const 2))))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        ;; Four independent accumulators hide the add latency; 16 taps per iteration.
        (loop $taps16
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul
            (v128.load (local.get $row)) (v128.load (local.get $src)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul
            (v128.load offset=16 (local.get $row)) (v128.load offset=16 (local.get $src)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul
            (v128.load offset=32 (local.get $row)) (v128.load offset=32 (local.get $src)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul
            (v128.load offset=48 (local.get $row)) (v128.load offset=48 (local.get $src)))))
          (local.set $row (i32.add (local.get $row) (i32.const 64)))
          (local.set $src (i32.add (local.get $src) (i32.const 64)))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $taps16 (i32.lt_u (local.get $k) (local.get $taps))))
        (local.set $a0 (f32x4.add (f32x4.add (local.get $a0) (local.get $a1))
                                  (f32x4.add (local.get $a2) (local.get $a3))))
        (f32.store
          (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
            (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
        (local.set $pos (i32.add (local.get $pos) (local.get $stepInt)))
        (local.set $phase (i32.add (local.get $phase) (local.get $stepFrac)))
        (if (i32.ge_u (local.get $phase) (local.get $up))
          (then
            (local.set $phase (i32.sub (local.get $phase) (local.get $up)))
            (local.set $pos (i32.add (local.get $pos) (i32.const 1)))))
        (local.set $rowIndex (i32.add (local.get $rowIndex) (i32.const 1)))
        (if (i32.ge_u (local.get $rowIndex) (local.get $up))
          (then (local.set $rowIndex (i32.const 0))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $outputs)))))
