"""Every explorer of the book, driven over its whole control ranges (the fuzz of issue 6).

For each registered explorer: its defaults, every corner of its controls' ranges and 200
seeded random settings on the sliders' grids go through the plain draw function with
warnings turned into errors. None may raise or warn; a run that diverges must be drawn
and reported as "diverged at step k". At the corners and a few random settings the fast
(blitted) frame must equal a full redraw, pixel for pixel, status line included.
"""
import re
import statistics
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from optimlib.experiments import (EXPLORERS, compare_fast_and_full,  # noqa: E402
                                  corner_settings, random_settings)

NAMES = sorted(EXPLORERS)
RANDOM = 200
DIVERGED = re.compile(r"diverged at step \d+")


def settings_for(name, n_random=RANDOM, seed=0):
    spec = EXPLORERS[name]
    rng = np.random.default_rng(seed)
    return [spec.defaults()] + corner_settings(spec) + random_settings(spec, n_random, rng)


def test_every_chapter_explorer_is_registered():
    assert "gd_quadratic" in EXPLORERS
    for name, spec in EXPLORERS.items():
        assert spec.controls, f"{name} has no controls"
        assert spec.flipbook is not None, f"{name} has no static (flipbook) counterpart"


def pixels(png):
    import io

    import PIL.Image
    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGBA"))


@pytest.mark.parametrize("name", NAMES)
def test_every_setting_draws_without_error_or_warning(name):
    """The explorer a reader drags, moved through every setting in turn (fast frames);
    at the corners and ten random settings the fast frame is compared with a full
    redraw of the same figure."""
    spec = EXPLORERS[name]
    settings = settings_for(name)
    n_compared = 1 + len(corner_settings(spec)) + 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explorer = spec.build()
    diverged, seconds = 0, []
    for i, values in enumerate(settings):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                t0 = time.process_time()
                explorer.set_values(values)
                seconds.append(time.process_time() - t0)
                full = explorer._picture.full_png() if i < n_compared else None
            except Exception as error:  # noqa: BLE001 - reported with the setting
                raise AssertionError(f"{name} at {values}: {type(error).__name__}: {error}")
        message = explorer.message
        assert isinstance(message, str) and message, f"{name} at {values}: no report"
        if "diverge" in message:
            assert DIVERGED.search(message), f"{name} at {values}: {message!r}"
            assert any(ax.lines or ax.collections for ax in explorer.axes), \
                f"{name} at {values}: a diverged run must still be drawn"
            diverged += 1
        if full is not None:
            differing = int(np.any(pixels(explorer.png) != pixels(full), axis=-1).sum())
            assert differing == 0, (f"{name} at {values}: the fast frame differs from a full "
                                    f"redraw in {differing} pixels")
    print(f"{name}: {len(settings)} settings, {diverged} diverged, all drawn and labelled")
    # The reader's budget: a redraw (experiment + render) under 0.1 s. CPU time of this
    # process, so that other work on the machine does not decide the verdict.
    median = statistics.median(seconds)
    assert median < 0.1, f"{name}: median redraw {1e3 * median:.0f} ms of CPU (budget 100 ms)"


def test_a_fresh_explorer_at_a_setting_equals_one_moved_there():
    """The other half of "fast equals full": moving from the defaults to a setting gives the
    picture and message that an explorer built at that setting shows."""
    for name in NAMES:
        spec = EXPLORERS[name]
        for values in random_settings(spec, 2, np.random.default_rng(1)):
            frame = compare_fast_and_full(spec, values)
            assert frame.equal, (f"{name} at {values}: {frame.differing} pixels differ "
                                 f"({frame.fast_message!r} vs {frame.full_message!r})")
