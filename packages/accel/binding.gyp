{
  "variables": {
    "blas_kind%": "<!(node scripts/blas-flags.cjs kind)",
    "blas_static%": "<!(node scripts/blas-flags.cjs static)",
    "portable%": "<!(node -p \"process.env.GRPOJS_ACCEL_PORTABLE === '1' ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "grpojs_accel",
      "sources": ["native/napi/accel.cc", "native/napi/vocab.cc", "native/napi/gelu.cc", "native/napi/layernorm.cc", "native/napi/gather.cc", "native/napi/attention.cc", "native/napi/decode.cc", "native/napi/nf4.cc", "native/napi/llama-decode.cc", "native/napi/llama-kernels.cc", "native/napi/llama-train.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-fopenmp-simd", "-fno-trapping-math", "-ffp-contract=off"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0",
        "OTHER_CFLAGS": ["-O3", "-fopenmp-simd", "-fno-trapping-math", "-ffp-contract=off"]
      },
      "conditions": [
        ["blas_kind=='accelerate'", {
          "defines": ["GRPOJS_ACCELERATE"],
          "libraries": ["-framework Accelerate"]
        }, {
          "defines": ["GRPOJS_OPENBLAS"],
          "include_dirs": ["<!@(node scripts/blas-flags.cjs include)"],
          "libraries": ["<!@(node scripts/blas-flags.cjs libs)"]
        }],
        ["blas_static==1", {
          "sources": ["native/napi/static-runtime.cc"]
        }],
        ["portable==1", {
          "defines": ["GRPOJS_PORTABLE"]
        }]
      ]
    }
  ]
}
