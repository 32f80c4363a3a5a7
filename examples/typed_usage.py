"""A small typed use of the public API; `mypy examples/typed_usage.py` must pass."""
import numpy as np
import numpy.typing as npt

import convcore


def features(images: npt.NDArray[np.float32], filters: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    y = convcore.conv2d(images, filters, padding="same")
    pooled = convcore.max_pool2d(np.maximum(y, 0), 2)
    out: npt.NDArray[np.float32] = convcore.global_avg_pool2d(pooled).astype(np.float32)
    return out


def gradients(x: npt.NDArray[np.float64], w: npt.NDArray[np.float64]) -> float:
    gy = np.ones_like(convcore.conv2d(x, w, stride=(1, 2), padding=((1, 0), (0, 1))))
    gx, gw, gb = convcore.conv2d_backward(gy, x, w, stride=(1, 2), padding=((1, 0), (0, 1)))
    assert gx is not None and gw is not None and gb is not None
    return float(gx.sum() + gw.sum() + gb.sum())


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    print(features(rng.random((2, 3, 16, 16), dtype=np.float32),
                   rng.random((4, 3, 3, 3), dtype=np.float32)).shape)
    print(gradients(rng.random((1, 2, 6, 6)), rng.random((3, 2, 3, 3))))
    convcore.set_num_threads(None)
    print(convcore.get_num_threads(), convcore.get_include())
