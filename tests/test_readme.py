"""Every fenced shell and Python block of README.md is executed, so the README cannot drift.

What runs (whatever blocks the README holds; a new section's blocks are picked up as they are):

* ```` ```bash ```` / ```` ```sh ```` / ```` ```shell ```` blocks: each command (lines ending
  in ``\\`` joined, ``#`` comments dropped) runs with bash, in README order, in one scratch
  folder shared by all blocks (so a block may use what an earlier block made) beside a
  ``../shared/data`` that points at the real data directory. Commands that name the checkout
  (``pip install .``, ``nox``) run in the repository root.
* ```` ```python ```` blocks: a block made of files, each headed by a ``# NAME.py`` comment
  line, is written into the scratch folder and its ``-- run: COMMAND`` (in a header) is run
  there; any other block runs as ``python -c BLOCK`` in the scratch folder.

Commands that take minutes run at reduced size (the mechanism the README points to):
``hpobench run ...`` gets ``--seeds 0 --budget 3x --quiet`` appended (later options win);
``nox -s NAME`` runs as ``nox --no-venv -s NAME`` with ``$HPOBENCH_DOCS_SMOKE`` set, so the
noxfile installs nothing and runs small (demo: one seed at 3x; tests: collect only);
``pip install .`` runs as ``pip install --dry-run --no-deps --no-build-isolation .``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHELLS = {"bash", "sh", "shell", "console"}


@dataclass(frozen=True, kw_only=True)
class Block:
    """One fenced block: its language and text."""

    language: str
    text: str


def fenced_blocks(markdown: str) -> list[Block]:
    """The fenced blocks of ``markdown`` with a language tag, in order."""
    pattern = re.compile(r"^```([A-Za-z]*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
    return [Block(language=m[1].lower(), text=m[2]) for m in pattern.finditer(markdown) if m[1]]


def shell_commands(text: str) -> list[str]:
    """The commands of a shell block: continuation lines joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    commands = []
    for line in joined.splitlines():
        command = re.sub(r"(^|\s)#.*$", "", line).strip()  # README commands quote no '#'
        if command:
            commands.append(re.sub(r"\s+", " ", command))
    return commands


def python_files(text: str) -> tuple[dict[str, str], str | None]:
    """Split a block made of ``# NAME.py`` headed files; also return its ``-- run: COMMAND``."""
    files: dict[str, list[str]] = {}
    command = None
    current = None
    for line in text.splitlines():
        header = re.match(r"^# (\w+\.py)\b(?:.*?-- run: (.*))?$", line)
        if header:
            current = header[1]
            files[current] = []
            command = header[2] or command
        elif current is not None:
            files[current].append(line)
    return {name: "\n".join(lines) + "\n" for name, lines in files.items()}, command


def reduced(command: str) -> str:
    """The command at reduced size (see the module docstring)."""
    command = re.sub(r"\bnox -s ", "nox --no-venv -s ", command)
    command = re.sub(
        r"\bpip install \.(?=\s|$)", "pip install --dry-run --no-deps --no-build-isolation .", command
    )
    if command.startswith("hpobench run"):
        command += " --seeds 0 --budget 3x --quiet"
    return command


def names_checkout(command: str) -> bool:
    """Whether the command refers to the checkout (runs in the repository root)."""
    return bool(re.search(r"\bnox\b|\bpip install\b.*\s\.(\s|$)", command))


def test_extraction_follows_the_rules() -> None:
    text = (
        "x\n```bash\n# a comment\nhpobench run --benchmarks a \\\n    --seeds 0-9  # why\n\n"
        "pip install x && hpobench list\n```\n```\nnot a command\n```\n```python\nprint(1)\n```\n"
    )
    blocks = fenced_blocks(text)
    assert [b.language for b in blocks] == ["bash", "python"]
    assert shell_commands(blocks[0].text) == [
        "hpobench run --benchmarks a --seeds 0-9",
        "pip install x && hpobench list",
    ]
    assert reduced("hpobench run --seeds 0-9") == "hpobench run --seeds 0-9 --seeds 0 --budget 3x --quiet"
    assert reduced("python3 -m nox -s demo") == "python3 -m nox --no-venv -s demo"
    assert names_checkout("pip install .")
    assert not names_checkout("hpobench list")
    files, command = python_files("# conftest.py\nA = 1\n\n# test_x.py -- run: pytest -q\nB = 2\n")
    assert files == {"conftest.py": "A = 1\n\n", "test_x.py": "B = 2\n"}
    assert command == "pytest -q"


def _data_dir() -> Path:
    configured = os.environ.get("HPOBENCH_DATA_DIR")
    data = Path(configured) if configured else ROOT.parent / "shared" / "data"
    if not (data / "tabular").is_dir():
        pytest.skip("the README's commands use the real benchmark data (../shared/data)")
    return data.resolve()


def _run(command: str, *, cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, (
        f"README command failed: {command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    if "nox" in command and "-s demo" in command:
        assert re.search(r"^open \S+report\.html$", result.stdout, re.MULTILINE), result.stdout[-2000:]


@pytest.mark.slow
def test_every_readme_block_runs(tmp_path: Path) -> None:
    data = _data_dir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "data").symlink_to(data)
    work = tmp_path / "work"
    work.mkdir()
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "MPLBACKEND": "Agg",
        "HPOBENCH_DATA_DIR": str(data),
        "HPOBENCH_DOCS_SMOKE": str(tmp_path / "nox-demo"),
    }
    ran = 0
    for block in fenced_blocks(README.read_text(encoding="utf-8")):
        if block.language in SHELLS:
            for command in shell_commands(block.text):
                _run(reduced(command), cwd=ROOT if names_checkout(command) else work, env=env)
                ran += 1
        elif block.language == "python":
            files, command = python_files(block.text)
            if files:
                for name, source in files.items():
                    (work / name).write_text(source, encoding="utf-8")
                assert command, "a README block of files names its command with '-- run: COMMAND'"
                _run(reduced(command), cwd=work, env=env)
            else:
                _run(shlex.join([sys.executable, "-c", block.text]), cwd=work, env=env)
            ran += 1
    assert ran >= 10  # the README's blocks were found
