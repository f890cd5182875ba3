{
  "variables": {
    "blas_kind%": "<!(node scripts/blas-flags.cjs kind)",
    "blas_static%": "<!(node scripts/blas-flags.cjs static)",
    "portable%": "<!(node -p \"process.env.GRPOJS_ACCEL_PORTABLE === '1' ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "grpojs_accel",
      "sources": ["native/accel.cc", "native/vocab.cc", "native/gelu.cc", "native/layernorm.cc", "native/gather.cc", "native/attention.cc", "native/decode.cc", "native/nf4.cc", "native/llama-decode.cc", "native/llama-kernels.cc", "native/llama-train.cc"],
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
          "sources": ["native/static-runtime.cc"]
        }],
        ["portable==1", {
          "defines": ["GRPOJS_PORTABLE"]
        }]
      ]
    }
  ]
}
