"""The ``--hpo-*`` options load early (``pytest11``), the plugin itself stays opt-in.

Each case runs a real ``pytest`` subprocess so that entry points load exactly as for a user.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

READS_OPTION = """
def test_reads_data_dir(request):
    assert request.config.getoption("hpo_data_dir") == {expected!r}
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    d = tmp_path / "somewhere"
    d.mkdir()
    return str(d)


def test_option_with_a_space_parses_when_the_conftest_enables_the_plugin(
    pytester: pytest.Pytester, data_dir: str
) -> None:
    pytester.makeconftest('pytest_plugins = ["hpobench.testing.pytest_plugin"]\n')
    pytester.makepyfile(READS_OPTION.format(expected=data_dir))
    result = pytester.runpytest_subprocess("--hpo-data-dir", data_dir)
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "args",
    [
        ["-p", "hpobench.testing.pytest_plugin"],  # -p loads before entry points: no duplicate option
        ["-p", "no:hpobench", "-p", "hpobench.testing.pytest_plugin"],  # the plugin adds them itself
    ],
)
def test_plugin_on_the_command_line_registers_the_options_once(
    pytester: pytest.Pytester, data_dir: str, args: list[str]
) -> None:
    pytester.makepyfile(READS_OPTION.format(expected=data_dir))
    result = pytester.runpytest_subprocess(*args, "--hpo-data-dir", data_dir)
    result.assert_outcomes(passed=1)


def test_without_autoload_the_plugin_still_has_its_options(
    pytester: pytest.Pytester, data_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(READS_OPTION.format(expected=data_dir))
    plugin = "hpobench.testing.pytest_plugin"
    result = pytester.runpytest_subprocess("-p", plugin, f"--hpo-data-dir={data_dir}")
    result.assert_outcomes(passed=1)


def test_unrelated_suites_get_options_but_no_markers_or_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.synthetic
        def test_marked():
            pass

        def test_fixture(hpo_benchmark):
            pass
        """
    )
    result = pytester.runpytest_subprocess("--strict-markers", "--hpo-seeds", "0-1")
    # the options parse, but the plugin's markers and fixtures are absent: it never loaded
    result.stdout.fnmatch_lines(["*'synthetic' not found in `markers`*"])
    help_text = pytester.runpytest_subprocess("--help").stdout.str()
    assert "--hpo-data-dir" in help_text


def test_the_options_module_imports_neither_the_plugin_nor_numpy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_modules():
            assert "hpobench.pytest_options" in sys.modules
            assert "hpobench.testing.pytest_plugin" not in sys.modules
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
