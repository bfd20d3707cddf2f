"""Tab completion: one command installs it, and the shell's questions get commands, kinds of change
and options back."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ledger_command


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(ledger_command(), list(args), env=env)
    return result.exit_code, result.stdout


def test_one_command_installs_bash_completion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    code, out = run("completion", "bash", "--install")
    assert code == 0
    script = tmp_path / ".bash_completions" / "ledger.sh"
    assert out == f"installed bash completion in {script}; it works in shells opened from now on\n"
    assert "_LEDGER_COMPLETE=complete_bash" in script.read_text()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("ledger struc", "structure"),
        ("ledger record establ", "established"),
        ("ledger structure --form", "--format"),
    ],
)
def test_the_shell_gets_completions(words: str, expected: str) -> None:
    env = {
        "_LEDGER_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
    }
    code, out = run(env=env)
    assert code == 0
    assert out.split() == [expected]


def test_the_script_is_printed_for_a_named_shell() -> None:
    code, out = run("completion", "zsh")
    assert code == 0 and "#compdef ledger" in out
