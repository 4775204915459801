"""Models: hand-written gradients against central differences, copies against loops."""
import numpy as np
import pytest

from optimlib.models import MLP, LinearRegression, LogisticRegression, log_softmax, sigmoid

D, N = 5, 17


def _models():
    return [
        LinearRegression(D, l2=0.3),
        LogisticRegression(D, n_classes=2, l2=0.3),
        LogisticRegression(D, n_classes=4, l2=0.3),
        MLP(D, hidden=4, n_classes=3, activation="tanh", l2=0.3),
        MLP(D, hidden=(4, 3), n_classes=3, activation="tanh", l2=0.3),
        MLP(D, hidden=(4, 3), n_classes=2, activation="relu", l2=0.3),
        MLP(D, hidden=6, n_classes=3, activation="relu", l2=0.3),
    ]


MODELS = _models()
IDS = [repr(m) for m in MODELS]


def _data(model, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    if model.classifier:
        y = rng.integers(0, model.n_classes, N)
    else:
        y = rng.standard_normal(N)
    return X, y


def _random_params(model, lead=(), seed=2):
    """Random float64 parameters (biases too), with leading copy axes ``lead``."""
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(lead + s) for k, s in model.shapes.items()}


def _numeric_grad(model, params, X, y, h=1e-6):
    """Central differences of the loss, entry by entry; copy i's loss only moves with copy i."""
    grads = {}
    for k, p in params.items():
        g = np.zeros_like(p)
        lead = p.shape[:p.ndim - len(model.shapes[k])]
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            up = model.loss(params, X, y)
            p[idx] = old - h
            down = model.loss(params, X, y)
            p[idx] = old
            g[idx] = ((up - down) / (2 * h))[idx[:len(lead)]]
        grads[k] = g
    return grads


@pytest.mark.parametrize("model", MODELS, ids=IDS)
@pytest.mark.parametrize("lead", [(), (3,)], ids=["single", "copies"])
def test_gradient_matches_central_differences(model, lead):
    X, y = _data(model)
    params = _random_params(model, lead)
    loss, grads = model.loss_and_grad(params, X, y)
    assert np.shape(loss) == lead
    assert grads.keys() == params.keys()
    numeric = _numeric_grad(model, params, X, y)
    for k in params:
        assert grads[k].shape == params[k].shape
        assert grads[k].dtype == np.float64
        np.testing.assert_allclose(grads[k], numeric[k], rtol=1e-6, atol=1e-8, err_msg=k)
    # the check is not vacuous: every parameter has a gradient of real size
    assert all(np.abs(grads[k]).max() > 1e-3 for k in params)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_copies_equal_a_loop_over_copies(model):
    X, y = _data(model)
    params = _random_params(model, (4,))
    loss, grads = model.loss_and_grad(params, X, y)
    metric = model.metric(params, X, y)
    pred = model.predict(params, X)
    assert loss.shape == metric.shape == (4,)
    for i in range(4):
        one = {k: v[i] for k, v in params.items()}
        l1, g1 = model.loss_and_grad(one, X, y)
        np.testing.assert_allclose(loss[i], l1, rtol=1e-13)
        for k in params:
            np.testing.assert_allclose(grads[k][i], g1[k], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(metric[i], model.metric(one, X, y), rtol=1e-13)
        if np.issubdtype(pred.dtype, np.integer):  # classes: exactly the same
            np.testing.assert_array_equal(pred[i], model.predict(one, X))
        else:  # regression outputs: equal up to the rounding of a different matrix product
            np.testing.assert_allclose(pred[i], model.predict(one, X), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_loss_alone_equals_loss_and_grad(model):
    X, y = _data(model)
    params = _random_params(model)
    assert model.loss(params, X, y) == model.loss_and_grad(params, X, y)[0]


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_init_shapes_seeds_and_copies(model):
    one = model.init(seed=5)
    assert {k: v.shape for k, v in one.items()} == model.shapes
    same = model.init(seed=5, copies=3)
    for k in one:
        assert same[k].shape == (3,) + one[k].shape
        np.testing.assert_array_equal(same[k], np.broadcast_to(one[k], same[k].shape))
    per_seed = model.init(seed=[5, 6, 7])
    for i, s in enumerate([5, 6, 7]):
        for k, v in model.init(seed=s).items():
            np.testing.assert_array_equal(per_seed[k][i], v)
    assert model.copies(per_seed) == (3,) and model.copies(one) == ()
    assert model.copies(model.init(copies=(2, 3))) == (2, 3)


def test_mlp_init_is_seeded_glorot_or_he():
    tanh = MLP(200, hidden=300, n_classes=10, activation="tanh")
    relu = MLP(200, hidden=300, n_classes=10, activation="relu")
    a, b = tanh.init(seed=0), tanh.init(seed=1)
    assert not np.array_equal(a["W1"], b["W1"])
    np.testing.assert_array_equal(a["W1"], tanh.init(seed=0)["W1"])
    limit = np.sqrt(6 / (200 + 300))
    assert np.abs(a["W1"]).max() <= limit
    np.testing.assert_allclose(a["W1"].std(), limit / np.sqrt(3), rtol=0.02)  # U(±a): std a/√3
    np.testing.assert_allclose(relu.init(seed=0)["W1"].std(), np.sqrt(2 / 200), rtol=0.02)
    assert not np.any(a["b1"]) and not np.any(a["b2"])


def test_linear_models_start_at_zero_unless_scaled():
    model = LogisticRegression(3)
    p = model.init(seed=0)
    assert not np.any(p["W"]) and not np.any(p["b"])
    X, y = np.ones((4, 3)), np.array([0, 1, 1, 0])
    np.testing.assert_allclose(model.loss(p, X, y), np.log(2), rtol=1e-15)
    assert np.any(model.init(seed=0, scale=0.1)["W"])


def test_l2_penalises_weights_but_not_biases():
    X, y = _data(LogisticRegression(D))
    for model in [LogisticRegression(D, l2=0.5), MLP(D, hidden=(4, 3), n_classes=2, l2=0.5)]:
        plain = type(model)(**{**model._args(), "l2": 0.0})
        params = _random_params(model)
        weights = sum(np.sum(params[k] ** 2) for k in model.weights)
        np.testing.assert_allclose(model.loss(params, X, y) - plain.loss(params, X, y),
                                   0.25 * weights, rtol=1e-12)
        g, g0 = model.loss_and_grad(params, X, y)[1], plain.loss_and_grad(params, X, y)[1]
        for k in params:
            extra = 0.5 * params[k] if k in model.weights else 0.0
            np.testing.assert_allclose(g[k] - g0[k], extra, atol=1e-14)


def test_large_scores_neither_overflow_nor_warn():
    # pytest turns warnings into errors, so an overflow in exp would fail here
    z = np.array([-1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4])
    s = sigmoid(z)
    assert np.all(np.isfinite(s)) and s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    np.testing.assert_allclose(sigmoid(np.array([2.0])), 1 / (1 + np.exp(-2.0)), rtol=1e-15)
    lp = log_softmax(np.array([[1e4, 0.0, -1e4]]))
    np.testing.assert_allclose(lp, [[0.0, -1e4, -2e4]])
    X = np.array([[1e3], [-1e3]])
    for model, y in [(LogisticRegression(1), np.array([0, 1])),
                     (LogisticRegression(1, n_classes=3), np.array([2, 0]))]:
        params = {k: np.full(s, 5.0) for k, s in model.shapes.items()}
        if model.n_classes == 3:
            params["W"][:] = [[5.0, 0.0, -5.0]]
        loss, grads = model.loss_and_grad(params, X, y)
        assert np.isfinite(loss) and loss > 1e3     # both rows confidently wrong
        assert all(np.all(np.isfinite(g)) for g in grads.values())


def test_binary_logistic_matches_softmax_with_two_scores():
    # softmax over (0, z) is the sigmoid of z: the two forms agree
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((20, 4)), rng.integers(0, 2, 20)
    w, b = rng.standard_normal((4, 1)), rng.standard_normal(1)
    binary = LogisticRegression(4, n_classes=2)
    loss2 = binary.loss(dict(W=w, b=b), X, y)
    Z = np.concatenate([np.zeros((20, 1)), X @ w + b], axis=1)
    np.testing.assert_allclose(loss2, -np.mean(log_softmax(Z)[np.arange(20), y]), rtol=1e-14)


def test_predict_and_accuracy():
    model = LogisticRegression(2, n_classes=3)
    params = {"W": np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]]), "b": np.zeros(3)}
    X = np.array([[2.0, 0.0], [0.0, 2.0], [-2.0, 0.0], [-2.0, 0.0]])
    np.testing.assert_array_equal(model.predict(params, X), [0, 1, 2, 2])
    assert model.accuracy(params, X, np.array([0, 1, 2, 0])) == 0.75
    probs = model.predict_proba(params, X)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0)
    reg = LinearRegression(2)
    p = {"W": np.array([[1.0], [2.0]]), "b": np.array([0.5])}
    np.testing.assert_allclose(reg.predict(p, X), [2.5, 4.5, -1.5, -1.5])
    np.testing.assert_allclose(reg.metric(p, X, np.zeros(4)),
                               np.mean(np.square([2.5, 4.5, -1.5, -1.5])))
    with pytest.raises(TypeError, match="accuracy is for classifiers"):
        reg.accuracy(p, X, np.zeros(4))


@pytest.mark.parametrize("make, message", [
    (lambda: LogisticRegression(0), "Invalid n_features: 0"),
    (lambda: LogisticRegression(3, n_classes=1), "Invalid n_classes: 1"),
    (lambda: LogisticRegression(3, l2=-1.0), "Invalid l2: -1.0"),
    (lambda: LinearRegression(3, l2=float("nan")), "Invalid l2: nan"),
    (lambda: MLP(3, hidden=(4, 4, 4)), "Invalid hidden"),
    (lambda: MLP(3, hidden=0), "Invalid hidden width: 0"),
    (lambda: MLP(3, activation="sigmoid"), "Invalid activation: 'sigmoid'"),
    (lambda: LogisticRegression(3).init(copies=0), "Invalid copies: 0"),
    (lambda: LogisticRegression(3).init(seed=[1, 2], copies=3), "does not match 2 seeds"),
])
def test_bad_arguments_raise_with_the_value(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make()


def test_bad_data_and_params_raise():
    model = LogisticRegression(3, n_classes=3)
    params = model.init()
    X, y = np.zeros((4, 3)), np.array([0, 1, 2, 1])
    with pytest.raises(ValueError, match=r"X has shape \(4, 2\)"):
        model.loss(params, X[:, :2], y)
    with pytest.raises(ValueError, match=r"y has shape \(3,\)"):
        model.loss(params, X, y[:3])
    with pytest.raises(ValueError, match="labels from 0 to 3"):
        model.loss(params, X, np.array([0, 1, 3, 1]))
    with pytest.raises(ValueError, match="non-integer"):
        model.loss(params, X, np.array([0, 1, 0.5, 1]))
    with pytest.raises(ValueError, match="expects \\['W', 'b'\\]"):
        model.loss({"W": params["W"]}, X, y)
    with pytest.raises(ValueError, match=r"params\['W'\] has shape \(3, 2\)"):
        model.loss({"W": np.zeros((3, 2)), "b": params["b"]}, X, y)
    with pytest.raises(ValueError, match="different copy axes"):
        model.loss({"W": np.zeros((2, 3, 3)), "b": np.zeros(3)}, X, y)
    with pytest.raises(TypeError, match="TypeError|a whole number"):
        LogisticRegression(3.5)
