"""Data: offline loaders, seeded disjoint splits, train-only standardisation, sparse words."""
import socket

import numpy as np
import pytest

from optimlib import data
from optimlib.data import (DATASETS, bag_of_words, condition_number, load_dataset,
                           split_indices)

SHAPES = {"breast_cancer": (569, 30, 2), "digits": (1797, 64, 10),
          "diabetes": (442, 10, None), "wine": (178, 13, 3)}


def _rows(d):
    return [np.concatenate([d.X_train, d.y_train[:, None]], axis=1),
            np.concatenate([d.X_val, d.y_val[:, None]], axis=1),
            np.concatenate([d.X_test, d.y_test[:, None]], axis=1)]


def test_loading_never_touches_the_network(monkeypatch):
    data._bundled.cache_clear()
    load_dataset.cache_clear()

    def refuse(*args, **kwargs):
        raise AssertionError("a loader tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for name in DATASETS:
        assert load_dataset(name).X_train.size > 0


@pytest.mark.parametrize("name", DATASETS)
def test_shapes_and_split_sizes(name):
    n, d, k = SHAPES[name]
    ds = load_dataset(name, val=0.2, test=0.2)
    assert ds.n_features == d and ds.n_classes == k
    assert sum(ds.sizes) == n
    assert ds.sizes[1] == ds.sizes[2] == round(0.2 * n)
    assert ds.X_train.dtype == np.float64 and len(ds.feature_names) == d
    if k is None:
        assert ds.y_train.dtype == np.float64
    else:
        assert ds.y_train.dtype == np.int64
        assert set(np.unique(np.concatenate([ds.y_train, ds.y_val, ds.y_test]))) == set(range(k))


@pytest.mark.parametrize("name", DATASETS)
def test_splits_are_deterministic_by_seed_and_disjoint(name):
    a, b, c = (load_dataset(name, seed=s, standardize=False) for s in (3, 3, 4))
    for x, y in zip(_rows(a), _rows(b)):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.y_train, c.y_train) or not np.array_equal(a.X_train, c.X_train)
    n = SHAPES[name][0]
    tr, va, te = split_indices(n, seed=3)
    assert len(np.unique(np.concatenate([tr, va, te]))) == n == len(tr) + len(va) + len(te)
    # the parts are really those rows of the raw data
    X, _, _, _ = data._bundled(name)
    np.testing.assert_array_equal(a.X_train, X[tr])
    np.testing.assert_array_equal(a.X_val, X[va])
    np.testing.assert_array_equal(a.X_test, X[te])
    np.testing.assert_array_equal(split_indices(n, seed=3)[0], tr)
    assert not np.array_equal(split_indices(n, seed=4)[0], tr)


@pytest.mark.parametrize("name", DATASETS)
def test_standardisation_uses_training_statistics_only(name):
    raw = load_dataset(name, seed=1, standardize=False)
    std = load_dataset(name, seed=1)
    varying = raw.X_train.std(axis=0) > 0
    np.testing.assert_allclose(std.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(std.X_train.std(axis=0)[varying], 1.0, rtol=1e-12)
    np.testing.assert_allclose(std.mean, raw.X_train.mean(axis=0), rtol=1e-14)
    # validation and test are mapped with the training statistics ...
    np.testing.assert_allclose(std.X_val, (raw.X_val - std.mean) / std.scale, rtol=1e-14)
    np.testing.assert_allclose(std.X_test, (raw.X_test - std.mean) / std.scale, rtol=1e-14)
    # ... so they are not exactly centred and scaled themselves
    assert np.abs(std.X_val.mean(axis=0)).max() > 1e-3
    assert np.abs(std.X_val.std(axis=0)[varying] - 1).max() > 1e-3
    if std.n_classes is None:
        assert abs(std.y_train.mean()) < 1e-12 and abs(std.y_train.std() - 1) < 1e-12
        np.testing.assert_allclose(std.y_val * std.y_scale + std.y_mean, raw.y_val)
    else:
        np.testing.assert_array_equal(std.y_val, raw.y_val)
    assert raw.mean is None and raw.scale is None


def test_digits_constant_pixels_stay_zero():
    ds = load_dataset("digits")
    raw = load_dataset("digits", standardize=False)
    constant = raw.X_train.std(axis=0) == 0
    assert constant.sum() >= 3                      # corner pixels that are always 0
    assert np.all(np.isfinite(ds.X_val))
    np.testing.assert_array_equal(ds.scale[constant], 1.0)


def test_breast_cancer_is_ill_conditioned_until_standardised():
    raw = condition_number(load_dataset("breast_cancer", standardize=False).X_train)
    std = condition_number(load_dataset("breast_cancer").X_train)
    assert 1e11 < raw < 1e13           # about 1e12
    assert 1e4 < std < 1e6             # about 1e5
    assert raw / std > 1e6
    X = np.diag([1.0, 10.0])
    assert condition_number(X) == pytest.approx(100.0)


def test_loads_are_cached_and_read_only():
    a, b = load_dataset("wine"), load_dataset("wine")
    assert a is b
    with pytest.raises(ValueError, match="read-only"):
        a.X_train[0, 0] = 1.0
    assert "wine" in repr(a) and "standardised" in repr(a)


def test_bag_of_words_is_sparse_with_rare_informative_words():
    ds = bag_of_words(seed=0)
    X = np.concatenate([ds.X_train, ds.X_val, ds.X_test])
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    n_informative = 40
    common, informative = X[:, :-n_informative], X[:, -n_informative:]
    # sparse: about 3% of the entries are non-zero
    assert (X != 0).mean() < 0.05
    # rare: each informative word is in at most 4% of the documents (expected 2.5%) ...
    doc_freq = (informative > 0).mean(axis=0)
    assert doc_freq.max() < 0.04 and doc_freq.min() > 0.01
    # ... while the most common words are in most documents
    assert (common > 0).mean(axis=0).max() > 0.9
    # informative: a word of class c appears only in documents of class c
    for j in range(n_informative):
        cls = 0 if j < n_informative // 2 else 1
        assert np.all(y[informative[:, j] > 0] == cls)
    # the common words carry no information: their class frequencies agree
    rates = np.array([(common[y == c] > 0).mean(axis=0) for c in (0, 1)])
    busy = rates.max(axis=0) > 0.2
    assert np.abs(rates[0, busy] - rates[1, busy]).max() < 0.06
    # reading only the informative words, at most (1 - e^{-1}) ≈ 63% of documents are decidable
    decidable = (informative > 0).any(axis=1).mean()
    assert 0.55 < decidable < 0.72
    # deterministic by seed
    np.testing.assert_array_equal(bag_of_words(seed=0).X_train, ds.X_train)
    assert not np.array_equal(bag_of_words(seed=1).X_train, ds.X_train)


@pytest.mark.parametrize("call, error, message", [
    (lambda: load_dataset("mnist"), ValueError, "Invalid dataset name: 'mnist'"),
    (lambda: load_dataset("wine", val=1.5), ValueError, "Invalid val: 1.5"),
    (lambda: load_dataset("wine", val=0.5, test=0.5), ValueError, "leave no training rows"),
    (lambda: load_dataset("wine", standardize="yes"), TypeError, "Invalid standardize"),
    (lambda: bag_of_words(n_informative=3), ValueError, "Invalid n_informative: 3"),
    (lambda: bag_of_words(p_informative=0.0), ValueError, "Invalid p_informative: 0.0"),
    (lambda: bag_of_words(n_documents=10.5), TypeError, "Invalid n_documents: 10.5"),
])
def test_bad_arguments_raise_with_the_value(call, error, message):
    with pytest.raises(error, match=message):
        call()
