"""The libraries the benchmark times: convcore and its peers torch and onnxruntime."""

import platform

import numpy as np


# Each library exposes prepare(case, arrays, threads) -> zero-argument callable returning
# the output (anything np.asarray accepts), and set_threads(n).

class ConvcoreLib:
    name = "convcore"

    def __init__(self, mod):
        self.mod = mod

    def set_threads(self, n):
        self.mod.set_num_threads(n)

    def restore(self):
        try:
            self.mod.set_num_threads(None)      # back to following OpenMP's default
        except Exception:
            pass

    def prepare(self, case, a, threads):
        cc = self.mod
        x = a["x"]
        if case.op == "conv":
            w, b = a["w"], a["b"]
            return lambda: cc.conv2d(x, w, b, stride=case.stride, padding=case.pad,
                                     groups=case.groups)
        if case.op == "max":
            return lambda: cc.max_pool2d(x, case.kernel, stride=case.stride, padding=case.pad)
        return lambda: cc.avg_pool2d(x, case.kernel, stride=case.stride, padding=case.pad,
                                     count_include_pad=True)

    @staticmethod
    def to_numpy(y):
        return np.asarray(y)


class TorchLib:
    name = "torch"

    def __init__(self, torch):
        self.torch = torch
        self.F = torch.nn.functional
        self._saved_threads = torch.get_num_threads()

    def set_threads(self, n):
        self.torch.set_num_threads(n)

    def restore(self):
        self.torch.set_num_threads(self._saved_threads)

    def prepare(self, case, a, threads):
        t, F = self.torch, self.F
        x = t.from_numpy(a["x"])
        if case.op == "conv":
            w, b = t.from_numpy(a["w"]), t.from_numpy(a["b"])
            return lambda: F.conv2d(x, w, b, case.stride, case.pad, 1, case.groups)
        if case.op == "max":
            return lambda: F.max_pool2d(x, case.kernel, case.stride, case.pad)
        return lambda: F.avg_pool2d(x, case.kernel, case.stride, case.pad,
                                    ceil_mode=False, count_include_pad=True)

    @staticmethod
    def to_numpy(y):
        return y.numpy()


class OrtLib:
    """onnxruntime on a one-node model. Weights are initializers (ORT's normal deployment,
    which lets it pre-pack them), so this is ORT at its best, not a per-call weight API."""
    name = "onnxruntime"
    OPSET = 17

    def __init__(self, ort, onnx):
        self.ort, self.onnx = ort, onnx

    def set_threads(self, n):
        pass          # per session, see prepare()

    def restore(self):
        pass

    def model(self, case, a):
        from onnx import TensorProto, helper, numpy_helper
        out = case.out_shape()
        x_info = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(a["x"].shape))
        y_info = helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out))
        pads = [case.pad] * 4                       # top, left, bottom, right
        k2, s2 = [case.kernel] * 2, [case.stride] * 2
        inits = []
        if case.op == "conv":
            inits = [numpy_helper.from_array(a["w"], "w"), numpy_helper.from_array(a["b"], "b")]
            node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=k2,
                                    strides=s2, pads=pads, dilations=[1, 1], group=case.groups)
        elif case.op == "max":
            node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=k2, strides=s2,
                                    pads=pads)
        else:
            # ONNX's default is count_include_pad=0; torch's (and convcore's) is True.
            node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=k2, strides=s2,
                                    pads=pads, count_include_pad=1)
        graph = helper.make_graph([node], case.name, [x_info], [y_info], initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.OPSET)],
                                  producer_name="convcore-bench")
        model.ir_version = 8
        self.onnx.checker.check_model(model)
        return model.SerializeToString()

    def prepare(self, case, a, threads):
        ort = self.ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.log_severity_level = 3
        sess = ort.InferenceSession(self.model(case, a), so, providers=["CPUExecutionProvider"])
        feed = {"x": a["x"]}
        run = sess.run
        return lambda: run(None, feed)[0]

    @staticmethod
    def to_numpy(y):
        return np.asarray(y)


def load_libraries(peers_only, no_peers):
    """Returns (libs in timing order, notes, versions)."""
    libs, notes, versions = [], [], {}
    cc_mod = None
    if not peers_only:
        try:
            import convcore as cc_mod
            missing = [f for f in ("conv2d", "max_pool2d", "avg_pool2d", "set_num_threads")
                       if not hasattr(cc_mod, f)]
            if missing:
                notes.append(f"convcore imported but lacks {', '.join(missing)}: measuring peers only")
                cc_mod = None
        except Exception as exc:   # not built/installed yet, or a broken build
            notes.append(f"convcore not importable ({type(exc).__name__}: {exc}): "
                         "measuring peers only")
            cc_mod = None
    if cc_mod is not None:
        libs.append(ConvcoreLib(cc_mod))
        versions["convcore"] = getattr(cc_mod, "__version__", "?")
    if not no_peers or cc_mod is None:
        if no_peers:
            notes.append("--no-peers ignored: nothing to measure without convcore")
        try:
            import torch
            libs.append(TorchLib(torch))
            versions["torch"] = torch.__version__
        except Exception as exc:
            notes.append(f"torch not available ({type(exc).__name__}): skipped")
        try:
            import onnx
            import onnxruntime as ort
            libs.append(OrtLib(ort, onnx))
            versions["onnxruntime"] = ort.__version__
            versions["onnx"] = onnx.__version__
        except Exception as exc:
            notes.append(f"onnxruntime/onnx not available ({type(exc).__name__}): skipped")
    versions["numpy"] = np.__version__
    versions["python"] = platform.python_version()
    return libs, notes, versions


def convcore_config(libs):
    for lib in libs:
        if lib.name == "convcore":
            cfg = getattr(lib.mod, "config", None)
            if callable(cfg):
                try:
                    return cfg()
                except Exception as exc:
                    return {"error": f"{type(exc).__name__}: {exc}"}
    return None
