"""The training loop: fit/predict/evaluate behaviour, progress output, and small CNNs that
must learn the generated glyphs and scikit-learn's digits."""

import sys

import numpy as np
import pytest

import convcore
from convcore import datasets, nn, optim


@pytest.fixture
def one_thread():
    # results are identical for any thread count; one thread keeps these tests quick on a
    # machine whose cores are busy with other work
    previous = convcore.get_num_threads()
    convcore.set_num_threads(1)
    try:
        yield
    finally:
        convcore.set_num_threads(None)
        if convcore.get_num_threads() != previous:
            convcore.set_num_threads(previous)


def small_cnn(side, seed=0):
    """The test network, for square single-channel images of any side divisible by 4."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, bias=False, rng=rng), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1, bias=False, rng=rng), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * (side // 4) ** 2, 10, rng=rng))


def _train(model, X, y, epochs, seed):
    opt = optim.Adam(model.parameters(), lr=3e-3)

    def decay(epoch, history):
        opt.param_groups[0]["lr"] *= 0.8

    return model.fit(X, y, epochs=epochs, batch_size=32, optimizer=opt, progress=False,
                     seed=seed, on_epoch_end=decay)


def test_cnn_learns_glyphs(one_thread):
    X, y = datasets.glyphs(4000, seed=10)
    X_train, y_train, X_test, y_test = X[:3000], y[:3000], X[3000:], y[3000:]
    model = small_cnn(28)
    before = model.evaluate(X_test, y_test)["accuracy"]
    history = _train(model, X_train, y_train, epochs=2, seed=0)  # 2 x 94 = 188 steps
    after = model.evaluate(X_test, y_test)
    assert before < 0.3
    assert after["accuracy"] >= 0.88, after
    assert history["loss"][1] < history["loss"][0]


def test_cnn_on_sklearn_digits(one_thread):
    pytest.importorskip("sklearn")
    X, y = datasets.load_digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25, seed=0)
    model = small_cnn(8)
    _train(model, X_train, y_train, epochs=15, seed=0)
    assert model.evaluate(X_test, y_test)["accuracy"] >= 0.97


def _tiny_problem(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 1, 4, 4)).astype(np.float32)
    y = (X[:, 0, :2].sum(axis=(1, 2)) > X[:, 0, 2:].sum(axis=(1, 2))).astype(np.int64)
    return X, y


def _tiny_model(seed=0):
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 8, rng=seed), nn.ReLU(),
                         nn.Linear(8, 2, rng=seed + 1))


def test_fit_history(one_thread):
    X, y = _tiny_problem()
    model = _tiny_model()
    h = model.fit(X, y, epochs=3, batch_size=10, optimizer=optim.SGD(model.parameters(), lr=0.1),
                  validation_data=(X[:20], y[:20]), progress=False, seed=1)
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy", "time", "images_per_sec"}
    assert all(len(v) == 3 for v in h.values())
    assert all(0 <= a <= 1 for a in h["accuracy"] + h["val_accuracy"])
    # the validation figures are those of evaluate() on the final weights
    final = model.evaluate(X[:20], y[:20])
    assert h["val_loss"][-1] == pytest.approx(final["loss"], rel=1e-6)
    assert h["val_accuracy"][-1] == final["accuracy"]
    assert model.training


def test_fit_is_reproducible_for_a_seed():
    X, y = _tiny_problem()
    runs = []
    for _ in range(2):
        model = _tiny_model(seed=3)
        runs.append(model.fit(X, y, epochs=2, batch_size=7, progress=False, seed=5)["loss"])
    assert runs[0] == runs[1]


def test_fit_loss_is_the_mean_training_loss():
    # without shuffling and with lr = 0 the reported loss is the mean over all samples
    X, y = _tiny_problem(n=30)
    model = _tiny_model()
    h = model.fit(X, y, epochs=1, batch_size=8, optimizer=optim.SGD(model.parameters(), lr=0.0),
                  progress=False, shuffle=False)
    logits = model.predict(X)
    want = nn.CrossEntropyLoss()(logits, y)
    assert h["loss"][0] == pytest.approx(want, rel=1e-6)
    assert h["accuracy"][0] == np.mean(logits.argmax(1) == y)


def test_regression_with_mse():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((200, 3)).astype(np.float32)
    w = np.array([[1.5], [-2.0], [0.5]], np.float32)
    y = X @ w + 0.3
    model = nn.Sequential(nn.Linear(3, 1, rng=0))
    h = model.fit(X, y, epochs=30, batch_size=20, loss=nn.MSELoss(),
                  optimizer=optim.SGD(model.parameters(), lr=0.05, momentum=0.9), progress=False)
    assert "accuracy" not in h
    assert h["loss"][-1] < 1e-4
    np.testing.assert_allclose(model[0].weight.data, w.T, atol=1e-2)
    assert set(model.evaluate(X, y, loss=nn.MSELoss())) == {"loss"}


def test_predict_and_evaluate_use_eval_mode_and_restore_it():
    X, y = _tiny_problem()
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5, seed=0), nn.Linear(16, 2, rng=0))
    model.train()
    out = model.predict(X, batch_size=7)
    assert model.training
    model.eval()
    np.testing.assert_allclose(out, model(X), rtol=1e-6)
    res = model.evaluate(X, y, batch_size=5)
    assert res["accuracy"] == np.mean(out.argmax(1) == y)
    assert not model.training


def test_on_epoch_end_can_stop_training():
    X, y = _tiny_problem()
    seen = []

    def callback(epoch, history):
        seen.append((epoch, len(history["loss"])))
        return epoch == 1

    h = _tiny_model().fit(X, y, epochs=10, progress=False, on_epoch_end=callback)
    assert seen == [(0, 1), (1, 2)]
    assert len(h["loss"]) == 2


def test_progress_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    X, y = _tiny_problem()
    _tiny_model().fit(X, y, epochs=2, batch_size=16, progress=True)
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("epoch 1/2 - loss ") and "accuracy" in lines[0] and "img/s" in lines[0]
    assert "epoch 1/2" in err and "loss" in err and "acc" in err


def test_progress_without_tqdm(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    X, y = _tiny_problem()
    _tiny_model().fit(X, y, epochs=1, batch_size=16, progress=True,
                      validation_data=(X, y))
    out, err = capsys.readouterr()
    assert "epoch 1/1 [" in err and "4/4" in err and "########################" in err
    assert "loss" in err and "acc" in err
    assert "val_accuracy" in out


def test_no_output_without_progress(capsys):
    X, y = _tiny_problem()
    _tiny_model().fit(X, y, epochs=1, progress=False)
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(epochs=-1), ValueError, "epochs"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(batch_size=2.5), TypeError, "batch_size"),
    (dict(progress="yes"), TypeError, "progress"),
    (dict(loss="mse"), TypeError, "loss"),
    (dict(optimizer="adam"), TypeError, "optimizer"),
    (dict(validation_data=np.ones(3)), TypeError, "validation_data"),
    (dict(on_epoch_end=3), TypeError, "on_epoch_end"),
    (dict(seed=-3), ValueError, "seed"),
], ids=range(9))
def test_fit_bad_arguments(kwargs, exc, match):
    X, y = _tiny_problem()
    with pytest.raises(exc, match=match):
        _tiny_model().fit(X, y, **kwargs)


def test_fit_length_mismatch():
    X, y = _tiny_problem()
    with pytest.raises(ValueError, match="y must have 64"):
        _tiny_model().fit(X, y[:10])


@pytest.mark.slow
def test_cnn_clearly_beats_a_linear_model_on_glyphs(one_thread):
    X, y = datasets.glyphs(8000, seed=20)
    X_train, y_train, X_test, y_test = X[:6000], y[:6000], X[6000:], y[6000:]
    linear = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10, rng=0))
    linear.fit(X_train, y_train, epochs=10, batch_size=64,
               optimizer=optim.Adam(linear.parameters(), lr=1e-3), progress=False, seed=0)
    cnn = small_cnn(28)
    _train(cnn, X_train, y_train, epochs=3, seed=0)
    linear_acc = linear.evaluate(X_test, y_test)["accuracy"]
    cnn_acc = cnn.evaluate(X_test, y_test)["accuracy"]
    assert linear_acc < 0.85
    assert cnn_acc >= 0.95
    assert cnn_acc - linear_acc >= 0.15
