#include "engine/backend/cuda/cublaslt_api.h"

#include <cuda_runtime.h>
#include <dlfcn.h>

#include <string>
#include <type_traits>

#include "engine/core/error.h"

namespace gemmeter::cuda {
namespace {

CublasLtApi Load() {
  // The soname carries the toolkit's major version, the one this build's headers declare.
  const std::string library = "libcublasLt.so." + std::to_string(CUDART_VERSION / 1000);
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    Fail("cuda: cannot load {} (cuBLASLt, for the cuda backend's matmuls): {}; install the "
         "CUDA toolkit's libraries or add their folder to LD_LIBRARY_PATH",
         library, dlerror());
  }
  auto symbol = [&](auto& function, const char* name) {
    void* address = dlsym(handle, name);
    if (address == nullptr) Fail("cuda: {} has no function {}", library, name);
    function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(address);
  };
  CublasLtApi api{};
  symbol(api.Create, "cublasLtCreate");
  symbol(api.Destroy, "cublasLtDestroy");
  symbol(api.GetVersion, "cublasLtGetVersion");
  symbol(api.GetStatusString, "cublasLtGetStatusString");
  symbol(api.MatmulDescCreate, "cublasLtMatmulDescCreate");
  symbol(api.MatmulDescDestroy, "cublasLtMatmulDescDestroy");
  symbol(api.MatmulDescSetAttribute, "cublasLtMatmulDescSetAttribute");
  symbol(api.MatrixLayoutCreate, "cublasLtMatrixLayoutCreate");
  symbol(api.MatrixLayoutDestroy, "cublasLtMatrixLayoutDestroy");
  symbol(api.MatmulPreferenceCreate, "cublasLtMatmulPreferenceCreate");
  symbol(api.MatmulPreferenceDestroy, "cublasLtMatmulPreferenceDestroy");
  symbol(api.MatmulPreferenceSetAttribute, "cublasLtMatmulPreferenceSetAttribute");
  symbol(api.MatmulAlgoGetHeuristic, "cublasLtMatmulAlgoGetHeuristic");
  symbol(api.Matmul, "cublasLtMatmul");
  return api;  // the handle stays open for the life of the process
}

}  // namespace

const CublasLtApi& CublasLt() {
  static const CublasLtApi api = Load();
  return api;
}

}  // namespace gemmeter::cuda
