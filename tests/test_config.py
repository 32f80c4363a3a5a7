"""show_config() / config() and `python -m convcore info`."""

import os
import subprocess
import sys

import convcore
import convcore._core as core

KEYS = {"version", "compiler", "openmp", "num_threads", "cpu_features", "target", "kernels"}


def test_version():
    assert isinstance(convcore.__version__, str) and convcore.__version__


def test_config_dict(restore_threads):
    cfg = convcore.config()
    assert isinstance(cfg, dict)
    assert KEYS <= set(cfg), KEYS - set(cfg)
    assert cfg["version"] == convcore.__version__
    assert isinstance(cfg["openmp"], bool)
    assert cfg["num_threads"] == convcore.get_num_threads()
    assert core.get_target() in str(cfg["target"])
    assert cfg["kernels"], "no kernel listed"
    assert isinstance(cfg["compiler"], str) and cfg["compiler"]
    convcore.set_num_threads(3)
    assert convcore.config()["num_threads"] == 3


def test_config_follows_target(simd_target):
    cfg = convcore.config()
    assert simd_target in str(cfg["target"])


def test_show_config_prints(capsys):
    result = convcore.show_config()
    out = capsys.readouterr().out
    assert convcore.__version__ in out
    assert "openmp" in out.lower()
    assert result is None or isinstance(result, dict)


def test_python_m_convcore_info(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "convcore", "info"], capture_output=True,
                          text=True, timeout=300, cwd=str(tmp_path), env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert convcore.__version__ in proc.stdout
