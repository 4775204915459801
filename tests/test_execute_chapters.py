"""`make execute` changes no file when nothing changed: the rule for figures that differ
from the stored ones only by rendering noise, and the machine metadata it drops."""
import base64
import io
import json

import nbformat
import numpy as np
from PIL import Image

import execute_chapters as ex


def png(array):
    buf = io.BytesIO()
    Image.fromarray(array.astype(np.uint8)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def figure(shift=0, size=(120, 200)):
    """A white RGB picture with a dark diagonal band, like a plotted line."""
    h, w = size
    a = np.full((h, w, 3), 255, dtype=np.uint8)
    rows, cols = np.indices((h, w))
    a[np.abs(rows - cols * h / w - shift) < 1.5] = (30, 60, 200)
    return a


BASE = figure()


def with_pixels(values):
    a = BASE.copy()
    for (r, c), v in values.items():
        a[r, c] = v
    return a


def test_identical_pictures_are_the_same():
    assert ex.same_picture(png(BASE), png(BASE))


def test_a_pixel_of_antialiasing_noise_is_not_a_change():
    # 24000 pixels: up to 24 may differ; these differ slightly at the line's edge
    noisy = with_pixels({(10, 17): (40, 70, 190), (60, 101): (35, 55, 205)})
    assert png(noisy) != png(BASE)
    assert ex.same_picture(png(BASE), png(noisy))


def test_a_pixel_changed_strongly_is_a_change():
    assert not ex.same_picture(png(BASE), png(with_pixels({(5, 150): (0, 0, 0)})))


def test_a_moved_curve_is_a_change():
    assert not ex.same_picture(png(BASE), png(figure(shift=3)))


def test_many_faint_changes_are_a_change():
    faint = BASE.astype(int)
    faint[:, :100] -= 2           # half the picture, by 2 levels: a new background, not noise
    assert not ex.same_picture(png(BASE), png(faint))


def test_other_size_or_no_png_is_a_change():
    assert not ex.same_picture(png(BASE), png(figure(size=(121, 200))))
    assert not ex.same_picture(png(BASE), "iVBORw0KGgoAAAAnotreallyapng")


def notebook_text(*pictures):
    nb = nbformat.v4.new_notebook()
    for p in pictures:
        nb.cells.append(nbformat.v4.new_code_cell(
            "plot()", outputs=[nbformat.v4.new_output("display_data", data={"image/png": p, "text/plain": "<Figure>"})]))
    # a static flipbook frame inside HTML holds a PNG too
    nb.cells.append(nbformat.v4.new_code_cell(
        "explore()", outputs=[nbformat.v4.new_output("execute_result", data={
            "text/html": f'<img src="data:image/png;base64,{pictures[0]}">'}, execution_count=1)]))
    return nbformat.writes(nb)


def test_noise_keeps_the_stored_bytes_and_a_real_change_replaces_them(capsys):
    noisy = png(with_pixels({(10, 17): (40, 70, 190)}))
    stored = notebook_text(png(BASE), png(BASE))
    fresh = notebook_text(noisy, png(figure(shift=3)))
    merged = json.loads(ex.keep_stored_pictures(fresh, stored))
    outputs = [c["outputs"][0]["data"] for c in merged["cells"]]
    assert outputs[0]["image/png"] == png(BASE)                   # noise: stored bytes kept
    assert outputs[1]["image/png"] == png(figure(shift=3))         # a change: new bytes
    assert "".join(outputs[2]["text/html"]) == f'<img src="data:image/png;base64,{png(BASE)}">'
    assert "2 figure(s)" in capsys.readouterr().out


def test_a_chapter_that_gained_a_figure_keeps_every_new_picture():
    noisy = png(with_pixels({(10, 17): (40, 70, 190)}))
    fresh = notebook_text(noisy, noisy)
    assert ex.keep_stored_pictures(fresh, notebook_text(png(BASE))) == fresh


def test_the_kernels_python_version_is_not_stored():
    nb = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python", "version": "3.11.7"}})
    ex.drop_machine_metadata(nb)
    assert nb.metadata.language_info == {"name": "python"}


def test_the_share_of_changed_pixels_has_a_sharp_limit():
    h, w = BASE.shape[:2]
    limit = int(ex.NOISE_PIXEL_SHARE * h * w)

    def darken(n):
        a = BASE.astype(int).reshape(-1, 3)
        a[:n] -= 5                 # the first n pixels (white background), by 5 levels
        return png(a.reshape(BASE.shape))

    assert ex.same_picture(png(BASE), darken(limit))
    assert not ex.same_picture(png(BASE), darken(limit + 1))
