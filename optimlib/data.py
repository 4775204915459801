r"""Small real datasets that work offline, and one synthetic sparse set.

``load_dataset(name)`` reads one of four datasets whose files ship inside
scikit-learn's wheel (no download, so it works with no network):

=================  ===========  ========================================
name               shape        task
=================  ===========  ========================================
``breast_cancer``  569 × 30     binary classification
``digits``         1797 × 64    10 classes (8×8 images of digits)
``diabetes``       442 × 10     regression (raw, unscaled features)
``wine``           178 × 13     3 classes
=================  ===========  ========================================

The rows are split into train, validation and test parts by a seeded
permutation. With ``standardize=True`` (the default) every feature is
shifted and scaled by the mean and standard deviation of the *training*
part only,

.. math::

    x \mapsto \frac{x - \bar x_{\text{train}}}{s_{\text{train}}} ,

so that nothing about the validation and test rows leaks into training;
``standardize=False`` keeps the raw features (chapter 3 compares the two:
raw breast-cancer features give :math:`\kappa(X^\top X / n) \approx 10^{12}`).

``bag_of_words`` makes a seeded synthetic text-like set: sparse word counts
in which the informative words are rare.

Loaded arrays are cached and read-only, so a chapter that loads the same
data twice pays once.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

__all__ = ["Dataset", "DATASETS", "load_dataset", "bag_of_words", "split_indices",
           "condition_number"]

#: The names :func:`load_dataset` accepts.
DATASETS = ("breast_cancer", "digits", "diabetes", "wine")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train, validation and test arrays of one dataset (all read-only).

    ``n_classes`` is the number of classes (``None`` for a regression).
    ``mean`` and ``scale`` are the training statistics used to standardise
    the features (``None`` when the features are raw); for a standardised
    regression the targets are standardised too, with ``y_mean`` and
    ``y_scale``.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int | None
    feature_names: tuple
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    y_mean: float | None = None
    y_scale: float | None = None

    @property
    def n_features(self):
        return self.X_train.shape[1]

    @property
    def sizes(self):
        """Rows in the train, validation and test parts."""
        return len(self.y_train), len(self.y_val), len(self.y_test)

    def __repr__(self):
        kind = "regression" if self.n_classes is None else f"{self.n_classes} classes"
        feats = "raw" if self.mean is None else "standardised"
        return (f"Dataset({self.name!r}: {self.n_features} {feats} features, {kind}; "
                f"train/val/test = {'/'.join(map(str, self.sizes))})")


@functools.lru_cache(maxsize=None)
def _bundled(name):
    """Features, targets, feature names and number of classes as read by scikit-learn.

    Only the loaders whose files are inside the wheel are used (never a
    ``fetch_*``), so this never touches the network.
    """
    from sklearn import datasets

    if name == "breast_cancer":
        bunch, n_classes = datasets.load_breast_cancer(), 2
    elif name == "digits":
        bunch, n_classes = datasets.load_digits(), 10
    elif name == "wine":
        bunch, n_classes = datasets.load_wine(), 3
    elif name == "diabetes":
        bunch, n_classes = datasets.load_diabetes(scaled=False), None
    else:
        raise ValueError(f"Invalid dataset name: {name!r} (one of {', '.join(DATASETS)})")
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.float64 if n_classes is None else np.int64)
    return _frozen(X), _frozen(y), tuple(str(f) for f in bunch.feature_names), n_classes


def _frozen(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def _fraction(label, value):
    if isinstance(value, (bool, str)) or value is None:
        raise TypeError(f"Invalid {label}: {value!r} (a number is expected)")
    value = float(value)
    if not 0 <= value < 1:
        raise ValueError(f"Invalid {label}: {value!r} (must be in [0, 1))")
    return value


def split_indices(n, seed=0, val=0.2, test=0.2):
    """Row indices of the train, validation and test parts of ``n`` rows.

    A permutation drawn from ``np.random.default_rng(seed)`` is cut into
    three disjoint parts: ``round(test * n)`` test rows, ``round(val * n)``
    validation rows and the rest for training. Each part is sorted.
    """
    val, test = _fraction("val", val), _fraction("test", test)
    n_test, n_val = round(test * n), round(val * n)
    if n - n_test - n_val < 1:
        raise ValueError(f"val={val!r} and test={test!r} leave no training rows out of {n}")
    order = np.random.default_rng(seed).permutation(n)
    test_idx, val_idx, train_idx = np.split(order, [n_test, n_test + n_val])
    return np.sort(train_idx), np.sort(val_idx), np.sort(test_idx)


def _split(name, X, y, names, n_classes, seed, val, test, standardize):
    train, valid, tst = split_indices(len(y), seed, val, test)
    mean = scale = y_mean = y_scale = None
    if standardize:
        mean = X[train].mean(axis=0)
        scale = X[train].std(axis=0)
        scale[scale == 0] = 1.0        # a constant feature (digits' corner pixels) stays 0
        X = (X - mean) / scale
        if n_classes is None:
            y_mean, y_scale = float(y[train].mean()), float(y[train].std())
            y = (y - y_mean) / y_scale
    parts = [a[idx] for idx in (train, valid, tst) for a in (X, y)]
    return Dataset(name, *map(_frozen, parts), n_classes, names,
                   None if mean is None else _frozen(mean),
                   None if scale is None else _frozen(scale), y_mean, y_scale)


@functools.lru_cache(maxsize=64)
def load_dataset(name, seed=0, val=0.2, test=0.2, standardize=True):
    """One of the bundled datasets, split and (by default) standardised.

    Parameters
    ----------
    name : str
        ``"breast_cancer"``, ``"digits"``, ``"diabetes"`` or ``"wine"``
        (see :data:`DATASETS`).
    seed : int
        Seed of the permutation that splits the rows (see :func:`split_indices`).
    val, test : float
        Fractions of the rows for validation and test.
    standardize : bool
        Shift and scale every feature (and a regression's target) by the
        training part's mean and standard deviation; ``False`` keeps the raw
        values.

    Returns
    -------
    Dataset
        The same arguments return the same (cached, read-only) object.
    """
    if not isinstance(standardize, (bool, np.bool_)):
        raise TypeError(f"Invalid standardize: {standardize!r} (must be True or False)")
    X, y, names, n_classes = _bundled(name)
    return _split(name, X, y, names, n_classes, seed, val, test, bool(standardize))


@functools.lru_cache(maxsize=16)
def bag_of_words(n_documents=2000, n_words=500, n_informative=40, length=20.0,
                 p_informative=0.05, zipf=1.1, seed=0, val=0.2, test=0.2):
    r"""A synthetic two-class "text" set: sparse word counts, rare informative words.

    The vocabulary has ``n_words`` words. The first ``n_words - n_informative``
    are *common* words used by both classes alike: each document draws
    :math:`\text{Poisson}(L)` of them (:math:`L` = ``length``) from a Zipf
    distribution, word :math:`j` with probability proportional to
    :math:`(j+1)^{-s}` (:math:`s` = ``zipf``). They carry no information
    about the label. The last ``n_informative`` words are *informative*: half
    belong to class 0, half to class 1, and a document of class :math:`y`
    (drawn with probability ½ each) contains each word of its own class,
    independently, with probability :math:`p` = ``p_informative``, and never a
    word of the other class. So every informative word is rare (in a
    fraction :math:`p/2` of the documents) but, when it appears, it gives
    the label away; a document with none of them can only be guessed.

    Features are the counts (float64, unscaled: standardising would destroy
    the sparsity); the rows are split like :func:`load_dataset`. Returns a
    :class:`Dataset` named ``"bag_of_words"`` whose ``feature_names`` are
    ``"common_j"`` and ``"class0_j"`` / ``"class1_j"``.
    """
    n_documents = _whole("n_documents", n_documents, 2)
    n_words = _whole("n_words", n_words, 2)
    n_informative = _whole("n_informative", n_informative, 2)
    if n_informative % 2 or n_informative >= n_words:
        raise ValueError(f"Invalid n_informative: {n_informative!r} (an even number below "
                         f"n_words={n_words})")
    for label, value, ok in [("length", length, length > 0),
                             ("p_informative", p_informative, 0 < p_informative <= 1),
                             ("zipf", zipf, zipf >= 0)]:
        if not (np.isfinite(value) and ok):
            raise ValueError(f"Invalid {label}: {value!r}")
    rng = np.random.default_rng(seed)
    n_common, half = n_words - n_informative, n_informative // 2
    freq = 1.0 / np.arange(1, n_common + 1) ** zipf
    y = rng.integers(0, 2, n_documents)
    lengths = rng.poisson(length, n_documents)
    words = rng.choice(n_common, size=lengths.sum(), p=freq / freq.sum())
    documents = np.repeat(np.arange(n_documents), lengths)     # which document each word is in
    X = np.zeros((n_documents, n_words))
    np.add.at(X, (documents, words), 1.0)
    present = rng.random((n_documents, half)) < p_informative          # own-class words
    X[:, n_common:n_common + half] = present * (y == 0)[:, None]
    X[:, n_common + half:] = present * (y == 1)[:, None]
    names = tuple([f"common_{j}" for j in range(n_common)]
                  + [f"class0_{j}" for j in range(half)]
                  + [f"class1_{j}" for j in range(half)])
    return _split("bag_of_words", X, y, names, 2, seed, val, test, standardize=False)


def _whole(label, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Invalid {label}: {value!r} (a whole number is expected)")
    if value < low:
        raise ValueError(f"Invalid {label}: {value!r} (must be >= {low})")
    return int(value)


def condition_number(X):
    r"""Condition number :math:`\kappa = \lambda_{\max}/\lambda_{\min}` of :math:`X^\top X / n`.

    For least squares this matrix is the Hessian, so :math:`\kappa` says how
    much slower gradient descent is along the flattest direction than along
    the steepest one. Returns ``inf`` if :math:`X^\top X` is singular.
    """
    X = np.asarray(X, dtype=np.float64)
    eig = np.linalg.eigvalsh(X.T @ X / X.shape[0])
    return float(eig[-1] / eig[0]) if eig[0] > 0 else float("inf")
