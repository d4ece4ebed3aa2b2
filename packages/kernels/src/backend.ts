import { call, CudaUnavailableError } from './errors';
import { native, type CpuIsa } from './native';

/** What the kernel library can use on this machine. */
export interface BackendInfo {
  cpu: {
    /**
     * Instruction-set level the CPU kernels run at: the best this CPU has (CPUID), unless pinned
     * lower by `DW_FORCE_ISA=scalar|avx2|avx512` or {@link setCpuIsa}.
     */
    simd: CpuIsa;
    /** The best level this CPU (and OS) supports. */
    detected: CpuIsa;
    /** Why `simd` differs from what `DW_FORCE_ISA` asked for ('' when it does not). */
    note: string;
    avx2: boolean;
    fma: boolean;
    f16c: boolean;
    avx512f: boolean;
    avx512bw: boolean;
    avx512vl: boolean;
    /** VPDPBUSD int8 dot products. */
    avx512vnni: boolean;
    avx512bf16: boolean;
    /** Threads used by the kernels (including the calling thread). */
    threads: number;
  };
  cuda: {
    available: boolean;
    /** Why CUDA cannot be used, when it cannot (e.g. "built without CUDA", "no CUDA device"). */
    reason?: string;
  };
}

/** Describes the available backends. Loads the CUDA library on first call where it was built. */
export function backendInfo(): BackendInfo {
  const n = native();
  const cpu = n.cpuInfo();
  const cuda = n.cudaStatus();
  return {
    cpu: { ...cpu, threads: n.numThreads() },
    cuda: cuda.available ? { available: true } : { available: false, reason: cuda.reason },
  };
}

/**
 * Pins the CPU kernels to an instruction-set level (process-wide), e.g. to compare paths or to
 * rule one out. Throws a `KernelError` (`INVALID_ARGUMENT`) for a level this CPU lacks. Not to be
 * called while another thread runs kernels.
 */
export function setCpuIsa(isa: CpuIsa): void {
  call(() => native().setIsa(isa));
}

/** Throws {@link CudaUnavailableError} (with the reason) unless the `cuda` backend can run. */
export function requireCuda(): void {
  const status = native().cudaStatus();
  if (!status.available)
    throw new CudaUnavailableError(status.reason.replace(/^cuda backend unavailable: /, ''));
}

/**
 * Sets the number of kernel threads (process-wide; shared by all worker threads, which never
 * run parallel kernels at the same time). `0` restores the default: the number of cores, or
 * `DW_NUM_THREADS`.
 */
export function setNumThreads(threads: number): void {
  call(() => native().setNumThreads(threads));
}

/** The number of kernel threads in use. */
export function getNumThreads(): number {
  return native().numThreads();
}
