"""Generated derivatives are real files: Python's own traceback printer shows their lines."""

import linecache
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

import pullback as pb
from pullback.source.common import files

SRC = str(Path(pb.__file__).resolve().parents[1])


def run_script(tmp_path, text, **env):
    script = tmp_path / "model.py"
    script.write_text(textwrap.dedent(text))
    environ = {**os.environ, "PYTHONPATH": SRC, **env}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=environ, timeout=120
    )
    return done, script


def cube_root_sum(x):
    y = np.cbrt(x)
    return np.sum(y * x)


def test_the_generated_module_is_a_file_with_its_text():
    df = pb.grad(cube_root_sum)
    filename = df.__pullback_module__.filename
    assert os.path.isfile(filename)
    assert Path(filename).read_text() == pb.source(df)
    assert files.is_generated(filename)
    assert os.path.dirname(filename) == files.directory()
    # linecache still serves it, and reads it back from disk once its entry is dropped
    assert linecache.getline(filename, 1).startswith("def grad_cube_root_sum")
    linecache.clearcache()
    assert linecache.getline(filename, 1).startswith("def grad_cube_root_sum")


def test_the_default_printer_shows_generated_lines_and_the_directory_goes_at_exit(tmp_path):
    done, script = run_script(
        tmp_path,
        """
        import numpy as np, pullback as pb
        from pullback.source.common import files

        def pick(x):
            y = np.sqrt(x)
            z = y[5]
            return z * x

        print(files.directory())
        pb.grad(pick)(np.ones(3))
        """,
    )
    assert done.returncode == 1
    directory = done.stdout.strip()
    # the generated frame's line is printed from the file, as for any module
    assert f'File "{directory}{os.sep}grad_of_pick_' in done.stderr
    assert "    z = y[5]\n" in done.stderr.split(directory)[-1]
    assert f"{script}:7" in done.stderr  # and the note names the user's line
    assert not os.path.exists(directory)  # a temporary directory is removed at exit


def test_a_configured_directory_is_used_and_kept(tmp_path):
    cache = tmp_path / "cache"
    done, _ = run_script(
        tmp_path,
        """
        import pullback as pb
        from pullback.source.common import files

        def f(x):
            return x * x

        df = pb.grad(f)
        print(df.__pullback_module__.filename)
        """,
        PULLBACK_CACHE_DIR=str(cache),
    )
    assert done.returncode == 0, done.stderr
    filename = Path(done.stdout.strip())
    assert filename.is_file() and cache in filename.parents
    assert filename.read_text().startswith("def grad_f(x):")


def test_use_directory_switches_where_new_modules_go(tmp_path):
    files.use_directory(tmp_path)
    try:

        def twice(x):
            return 2.0 * np.sin(x)

        df = pb.grad(twice)
        assert Path(df.__pullback_module__.filename).parent.parent == tmp_path
        assert df(0.5) == 2.0 * np.cos(0.5)
    finally:
        files.use_directory(None)
    assert Path(files.directory()).parent != tmp_path


def test_an_unwritable_directory_falls_back_to_linecache(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    files.use_directory(blocker / "below")  # cannot be made: a file is in the way
    try:

        def cubic(x):
            return x * x * x

        df = pb.grad(cubic)
        filename = df.__pullback_module__.filename
        assert filename.startswith("<pullback")
        assert files.is_generated(filename)
        assert df(2.0) == 12.0
        assert linecache.getline(filename, 1).startswith("def grad_cubic")
    finally:
        files.use_directory(None)


def test_two_numberings_that_meet_never_write_over_a_file():
    # codegen's "vjp of f" #N and derived.py's "vjp_of_f" #N slug to one name: the second is
    # written beside the first, whose compiled functions keep reading their own lines
    first = files.place("vjp of collide", "def collide_forward(x):\n    return x\n", 9001)
    second = files.place("vjp_of_collide", "def vjp_of_collide(x0):\n    return x0\n", 9001)
    assert first != second
    assert Path(first).read_text().startswith("def collide_forward")
    assert linecache.getline(first, 1).startswith("def collide_forward")
    assert linecache.getline(second, 1).startswith("def vjp_of_collide")


def test_second_order_check_in_a_fresh_process(tmp_path):
    done, _ = run_script(
        tmp_path,
        """
        import numpy as np, pullback as pb

        def loss(x):
            return np.sum(x * x * x)

        pb.check_grads(loss, (np.array([2.0, 4.0]),), modes=("rev",), order=2)
        print("checked")
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "checked" in done.stdout
