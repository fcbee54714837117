"""Operation counts, FLOPs and bytes (beyond_mle.opcount), and the environment the package reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from beyond_mle.opcount import H200, GPUModel, OpCounter, gpu_seconds, read_counts


def test_a_matrix_product_counts_its_flops_and_bytes_exactly():
    a, b = torch.randn(30, 40), torch.randn(40, 50)
    with OpCounter() as counter:
        c = a @ b
    assert counter.ops == 1
    assert counter.flops == 2 * 30 * 40 * 50
    assert counter.bytes == 4 * (30 * 40 + 40 * 50 + 30 * 50)
    assert c.shape == (30, 50)


def test_views_cost_nothing_and_backward_is_counted():
    x = torch.randn(8, 16, requires_grad=True)
    w = torch.randn(16, 4, requires_grad=True)
    with OpCounter() as views:
        x.view(16, 8).t().unsqueeze(0)[0]
    assert views.ops == 0
    with OpCounter() as forward:
        y = (x @ w).tanh().sum()
    with OpCounter() as backward:
        y.backward()
    assert forward.flops == 2 * 8 * 16 * 4
    assert backward.flops == 2 * forward.flops  # the two products of the gradients
    assert backward.ops >= 3


def test_each_operation_pays_the_largest_of_launch_arithmetic_and_traffic():
    model = GPUModel("test", launch_s=1e-6, flops_per_s=1e9, bytes_per_s=1e9)
    assert model.op_seconds(0, 0) == 1e-6
    assert model.op_seconds(1e6, 0) == pytest.approx(1e-3)
    assert model.op_seconds(1e3, 5e6) == pytest.approx(5e-3)
    with OpCounter(model) as counter:
        torch.randn(64, 64) @ torch.randn(64, 64)
        torch.zeros(10).add_(1.0)
    totals = counter.totals()
    assert totals["gpu_s"] <= gpu_seconds(totals, model)
    assert gpu_seconds({"ops": 1, "flops": 100e12, "bytes": 0}, H200) == pytest.approx(1 + 1e-5)


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )


def test_the_environment_counts_each_process_into_its_own_file(tmp_path):
    target = tmp_path / "counts"
    code = "import beyond_mle, torch; torch.randn(20, 30) @ torch.randn(30, 10)"
    for _ in range(2):
        done = _python(code, BEYOND_MLE_COUNT_OPS=str(target))
        assert done.returncode == 0, done.stderr
    files = sorted(target.glob("*.json"))
    assert len(files) == 2
    one = json.loads(files[0].read_text())
    assert one["flops"] == 2 * 20 * 30 * 10 and one["ops"] >= 3  # two randn, one mm
    totals = read_counts(target)
    assert totals["processes"] == 2 and totals["flops"] == 2 * one["flops"]


def test_the_environment_sets_the_precision_of_float32_products():
    code = "import beyond_mle, torch; print(torch.get_float32_matmul_precision())"
    assert _python(code).stdout.strip() == "highest"
    assert _python(code, BEYOND_MLE_MATMUL_PRECISION="high").stdout.strip() == "high"
    bad = _python(code, BEYOND_MLE_MATMUL_PRECISION="tf32")
    assert bad.returncode != 0
    assert "BEYOND_MLE_MATMUL_PRECISION='tf32': must be one of highest, high, medium" in bad.stderr
