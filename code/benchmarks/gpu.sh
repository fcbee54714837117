#!/usr/bin/env bash
# The GPU suite on a lent GPU machine (make gpu): its python3 has torch with CUDA; papermill,
# nltk, POT and their needs come as wheels in .whl, the source manifest in .gpu and CoT's oracle
# in .data (all three written here by `make gpu-prepare`, and carried with the tree).
#   OUT         the output folder (default _build/gpu): suite.json, suite.log, results.tar.gz
#   GPU_BUDGET  seconds for the whole suite (default 540)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-_build/gpu}
budget=${GPU_BUDGET:-540}
site=/tmp/beyond-mle-site
if [ ! -f .gpu/source.json ] || ! ls .whl/*.whl >/dev/null 2>&1; then
    echo "gpu.sh: .gpu/source.json or .whl/ missing: run 'make gpu-prepare' and carry .gpu, .whl, .data" >&2
    exit 2
fi
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$site" .whl/*.whl
export PYTHONPATH="$site:$PWD/code" PATH="$site/bin:$PATH" PYTHONUNBUFFERED=1 PYTHONHASHSEED=0
export BEYOND_MLE_SOURCE_MANIFEST="$PWD/.gpu/source.json"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'
exec python3 code/benchmarks/gpu_suite.py run --out "$out" --budget "$budget"
