"""The metta-lit command: help, one-line errors, options built from signatures, shipped configs."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EPOCH, NAV, SMALL, fit_args, metta_lit

from metta_lit.cli.main import main

# Imported here, not first inside a test: Lightning gives its loggers a handler on the
# sys.stderr of its import, which under capsys is a stream closed when that test ends.
importlib.import_module("metta_lit.cli.trainer")


def test_print_config_and_interpolation_follow_overrides(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(Path(NAV).read_text().replace("eval_envs: 8", "eval_envs: ${.num_envs}"))
    out = metta_lit(
        "fit", "--config", str(cfg), "--model.init_args.num_envs", "7", "--print_config", cwd=tmp_path
    ).stdout
    assert "num_envs: 7" in out and "eval_envs: 7" in out and "class_path: metta_lit.train.PPO" in out


def test_bad_cli_input_is_reported(tmp_path, monkeypatch, capsys):
    """Errors found while building (a run name, a policy file, a value out of range) end in
    their line, with no traceback; run in this process (the exit path is ``main``'s)."""
    monkeypatch.chdir(tmp_path)
    cases = [
        (["fit", "--config", NAV, "--checkpoint.run", "bad run"], "invalid run name 'bad run'"),
        (["validate", "--config", NAV, "--ckpt_path", "nowhere:v1.mpt"], "no such policy file"),
        ([*fit_args("bad", 100), "--model.init_args.gamma", "2.5"], "model.gamma: must be in [0, 1]"),
        ([*fit_args("bad", 100), "--model.init_args.ent_coef", "-1e-5"], "model.ent_coef: must be >= 0"),
        ([*fit_args("bad", 100), "--model.init_args.gae_lambda=-0.5"], "model.gae_lambda: must be in [0, 1]"),
    ]
    for args, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        stderr = capsys.readouterr().err + ("" if isinstance(exit_info.value.code, int) else str(exit_info.value.code))
        assert exit_info.value.code != 0 and message in stderr, stderr[-3000:]
        assert "Traceback" not in stderr, stderr[-3000:]


def test_bad_arguments_end_in_one_line_naming_the_key_and_the_closest(tmp_path, monkeypatch, capsys):
    cases = {
        ("--trainer.max_epoks", "5"): "--trainer.max_epoks: no such option (closest: --trainer.max_epochs",
        (
            "--model.init_args.totl_timesteps",
            "5",
        ): "--model.init_args.totl_timesteps: no such option (closest: --model.init_args.total_timesteps",
        (
            "--model.init_args.policy.init_args.hiden_size",
            "3",
        ): "--model.init_args.policy.init_args.hiden_size: no such option (closest: "
        "--model.init_args.policy.init_args.hidden_size",
        ("--model.init_args.num_envs", "abc"): "--model.init_args.num_envs: Expected a int. Got value: abc",
        (
            "--model.init_args.env_overrides",
            '{"game.max_stpes": 5}',
        ): "no field 'game.max_stpes' (closest: game.max_steps, game.max_agents)",
        ("--model.init_args.total_timesteps", "-5"): "model.total_timesteps: must be an integer >= 1, got -5",
    }
    monkeypatch.chdir(tmp_path)
    for args, message in cases.items():
        with pytest.raises(SystemExit) as exit_info:
            main(["fit", "--config", NAV, *args])
        # Argument errors print their line and exit 2; errors found while building exit with the line.
        stderr = capsys.readouterr().err + ("" if isinstance(exit_info.value.code, int) else str(exit_info.value.code))
        assert exit_info.value.code != 0
        assert message in stderr, stderr[-3000:]
        assert "Traceback" not in stderr and "usage:" not in stderr and len(stderr.splitlines()) <= 4


def test_help_lists_every_command_without_importing_torch():
    code = (
        "import sys\nfrom metta_lit.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit as e:\n"
        "    assert not e.code, e.code\nassert 'torch' not in sys.modules, 'torch was imported'\nprint('light')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("light")
    for command in ("fit", "validate", "evaluate", "analyze", "replay", "play"):
        assert f"  {command} " in proc.stdout


def test_tool_options_are_their_functions_signatures(capsys):
    import inspect

    from metta_lit.commands import COMMANDS, NOT_ON_THE_COMMAND_LINE, command_function

    for name in COMMANDS:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        out = capsys.readouterr().out
        function = command_function(name)
        for param in inspect.signature(function).parameters.values():
            if param.name in NOT_ON_THE_COMMAND_LINE:
                continue
            if getattr(function, "positional", False) and param.default is inspect.Parameter.empty:
                assert "positional arguments:" in out and f"{param.name}:" in function.__doc__, (name, param.name)
            else:
                assert f"--{param.name} " in out, (name, param.name)
        assert "--console" not in out
    # Types and choices come from the annotations and are checked before anything runs.
    with pytest.raises(SystemExit) as exit_info:
        main(["play", "--config", "navigation", "--render", "fancy"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--render" in err and "tui" in err and len(err.splitlines()) <= 2
    with pytest.raises(SystemExit):
        main(["evaluate", "--policy_uris", "random", "--simulations", "navigation", "--seed", "x"])
    assert "--seed" in capsys.readouterr().err


@pytest.mark.slow
def test_shipped_configs_are_found_from_any_directory(tmp_path):
    assert not (tmp_path / "configs").exists()
    proc = metta_lit(
        "fit",
        "--config",
        "configs/navigation.yaml",
        *SMALL,
        "--checkpoint.run",
        "anywhere",
        "--model.init_args.total_timesteps",
        str(EPOCH),
        cwd=tmp_path,
    )
    assert (tmp_path / "train_dir" / "anywhere" / "checkpoints" / "anywhere:v1.mpt").exists(), proc.stderr[-2000:]


def test_help_and_the_recipe_list_show_whole_first_sentences():
    from metta_lit.commands import COMMANDS, command_parser
    from metta_lit.core.text import first_sentence
    from metta_lit.recipe_api import discovery

    assert first_sentence("Play A and B on identical seeds and report,\n    per simulation. More.") == (
        "Play A and B on identical seeds and report, per simulation."
    )
    assert first_sentence("No full stop\n\nSecond paragraph.") == "No full stop"
    for name in COMMANDS:
        assert command_parser(name).description.endswith((".", '"')), name
    recipes, _ = discovery.discover()
    assert recipes
    for recipe in recipes:
        assert recipe.doc.endswith((".", ")")), (recipe.name, recipe.doc)
