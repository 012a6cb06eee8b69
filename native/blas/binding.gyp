# Built by scripts/build-blas.mjs, which finds OpenBLAS and passes its folders as
# -Dblas_include=... -Dblas_lib_dir=... (the defaults below only suit a plain /usr install).
{
  "variables": {
    "blas_include%": "/usr/include",
    "blas_lib_dir%": "/usr/lib"
  },
  "targets": [
    {
      "target_name": "osmosis_blas",
      "sources": ["src/osmosis_blas.c"],
      "include_dirs": ["<(blas_include)"],
      "libraries": ["-L<(blas_lib_dir)", "-lopenblas"],
      "ldflags": ["-Wl,-rpath,<(blas_lib_dir)"],
      "cflags": ["-std=c11", "-O2", "-Wall", "-Wextra"],
      "conditions": [
        [
          "OS=='mac'",
          {
            "xcode_settings": {
              "OTHER_CFLAGS": ["-std=c11", "-O2", "-Wall", "-Wextra"],
              "OTHER_LDFLAGS": ["-Wl,-rpath,<(blas_lib_dir)"]
            }
          }
        ]
      ]
    }
  ]
}
