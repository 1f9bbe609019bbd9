// Device-side support shared by the FashionNet native kernels.
//
// The kernels are built to PTX by clang without the CUDA toolkit (`-nocudainc -nocudalib`, so no CUDA headers and
// no libdevice) and must also build with nvcc. Everything the kernels need from CUDA is therefore spelled here
// once, through clang's NVVM builtins or nvcc's intrinsics.
//
// Parameter layout (shared with the ILGPU kernels so that one launcher drives both): the element count first, then
// each buffer as a 16-byte {pointer, length} view (ILGPU's ArrayView layout), then the scalars.
#pragma once

#if defined(FASHIONNET_HOST_EMULATION)
// The same kernels as plain C++ on the host, for the tests (NativeKernelHostTests): the harness runs one "thread"
// at a time, setting its index before each call, so the atomic add needs no atomicity.
#define FN_KERNEL extern "C" __attribute__((visibility("default")))
#define FN_DEVICE static inline
static int fn_host_thread_index;
extern "C" __attribute__((visibility("default"))) void fashionnet_host_set_thread_index(int index) { fn_host_thread_index = index; }
FN_DEVICE int fn_global_index() { return fn_host_thread_index; }
FN_DEVICE void fn_atomic_add(float* address, float value) { *address += value; }
FN_DEVICE float fn_int_bits_as_float(int bits) { return __builtin_bit_cast(float, bits); }
#elif defined(__NVCC__)
#define FN_KERNEL extern "C" __global__
#define FN_DEVICE static __device__ __forceinline__
FN_DEVICE int fn_global_index() { return (int)(blockIdx.x * blockDim.x + threadIdx.x); }
FN_DEVICE void fn_atomic_add(float* address, float value) { atomicAdd(address, value); }
FN_DEVICE float fn_int_bits_as_float(int bits) { return __int_as_float(bits); }
#elif defined(__clang__) && defined(__CUDA__)
#define FN_KERNEL extern "C" __attribute__((global))
#define FN_DEVICE static __attribute__((device)) inline __attribute__((always_inline))
FN_DEVICE int fn_global_index()
{
    return (int)(__nvvm_read_ptx_sreg_ctaid_x() * __nvvm_read_ptx_sreg_ntid_x() + __nvvm_read_ptx_sreg_tid_x());
}
FN_DEVICE void fn_atomic_add(float* address, float value) { __nvvm_atom_add_gen_f(address, value); }
FN_DEVICE float fn_int_bits_as_float(int bits) { return __builtin_bit_cast(float, bits); }
#else
#error "Build with clang (-x cuda), nvcc, or for the host tests with -DFASHIONNET_HOST_EMULATION."
#endif

// A device buffer as ILGPU passes an ArrayView<T>: base pointer and element count.
template <typename T>
struct DeviceView
{
    T* data;
    long long length;
};
