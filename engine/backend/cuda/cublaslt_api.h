// cuBLASLt, loaded when the cuda backend is first created rather than when the program
// starts: the library maps over 500 MB, which every gemmeter process would pay (and which
// fails under a small `ulimit -v`) although most never touch a GPU, and a binary built
// with CUDA then also runs where cuBLASLt is not installed. Calls go through CublasLt().
#pragma once

#include <cublasLt.h>

namespace gemmeter::cuda {

// The functions the backend uses, with cuBLASLt's own signatures.
struct CublasLtApi {
  decltype(&cublasLtCreate) Create;
  decltype(&cublasLtDestroy) Destroy;
  decltype(&cublasLtGetVersion) GetVersion;
  decltype(&cublasLtGetStatusString) GetStatusString;
  decltype(&cublasLtMatmulDescCreate) MatmulDescCreate;
  decltype(&cublasLtMatmulDescDestroy) MatmulDescDestroy;
  decltype(&cublasLtMatmulDescSetAttribute) MatmulDescSetAttribute;
  decltype(&cublasLtMatrixLayoutCreate) MatrixLayoutCreate;
  decltype(&cublasLtMatrixLayoutDestroy) MatrixLayoutDestroy;
  decltype(&cublasLtMatmulPreferenceCreate) MatmulPreferenceCreate;
  decltype(&cublasLtMatmulPreferenceDestroy) MatmulPreferenceDestroy;
  decltype(&cublasLtMatmulPreferenceSetAttribute) MatmulPreferenceSetAttribute;
  decltype(&cublasLtMatmulAlgoGetHeuristic) MatmulAlgoGetHeuristic;
  decltype(&cublasLtMatmul) Matmul;
};

// Loads libcublasLt.so.<CUDA major version> once; throws Error naming the library and the
// loader's message when it or one of the functions is missing.
const CublasLtApi& CublasLt();

}  // namespace gemmeter::cuda
