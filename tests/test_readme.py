"""The README's `optimlib` example runs and prints what the README says it prints."""
import contextlib
import io
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
# a ```python block, and the ```text block that may follow it after a line of prose
BLOCK = re.compile(r"```python\n(.*?)```\n(?:\n[^\n`]*\n\n```text\n(.*?)```)?", re.S)


def test_the_readme_has_a_python_example_with_its_output():
    blocks = BLOCK.findall(README)
    assert blocks, "README.md has no ```python block"
    assert all(printed for _, printed in blocks), "every python block is followed by what it prints"


def test_every_python_block_runs_and_prints_what_the_readme_shows():
    for code, printed in BLOCK.findall(README):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
        plt.close("all")
        assert out.getvalue() == printed


def test_the_example_converges():
    code, _ = BLOCK.findall(README)[0]
    scope = {"__name__": "__readme__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "README.md", "exec"), scope)
    plt.close("all")
    result = scope["result"]
    assert not result.diverged and float(result.gap[-1]) < 1e-6
    assert abs(scope["params"]["W"] - [[1.0, -2.0], [0.5, 0.0], [0.0, 3.0]]).max() < 1e-3
