import { call, CudaUnavailableError } from './errors';
import { native } from './native';

/** What the kernel library can use on this machine. */
export interface BackendInfo {
  cpu: {
    /** Kernel family chosen at run time from CPU features (`DW_FORCE_SCALAR=1` forces scalar). */
    simd: 'avx2' | 'scalar';
    avx2: boolean;
    fma: boolean;
    f16c: boolean;
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
