"""Every subcommand and option given a bad value: exit 2 and one line saying what is wrong — no
traceback, no warning from torch, no silent exit 0, no training started, no unbounded work."""

from __future__ import annotations

import warnings

import pytest

from core import cli
from core.training import engine, jobs


class ReachedTraining(Exception):
    pass


BAD = {
    "list": [["list", "--bogus"]],
    "count": [
        ["count"],
        ["count", "resnet5000"],
        ["count", "resnet34", "--input", "3,1,1"],
        ["count", "resnet34", "--input", "3,224"],
        ["count", "resnet34", "--input", "a,b,c"],
        ["count", "resnet34", "--input", "3,0,224"],
        ["count", "resnet34", "--input", "3,-1,224"],
        ["count", "resnet34", "--input", "0,224,224"],
        ["count", "resnet34", "--input", "3,99999999999999999999,224"],
        ["count", "resnet34", "--input", "3,inf,224"],
        ["count", "resnet34", "--input", ""],
        ["count", "cifar-resnet-21"],
        ["count", "cifar-resnet-12002"],
        ["count", "cifar-resnet-1e20"],
        ["count", "cifar-resnet-" + "9" * 30 + "8"],
        ["count", "cifar-resnet-20", "--set", "final_survival=2"],
        ["count", "cifar-resnet-20", "--set", "final_survival=0"],
        ["count", "cifar-resnet-20", "--set", "final_survival=nan"],
        ["count", "cifar-resnet-20", "--set", "preact=maybe"],
        ["count", "cifar-resnet-20", "--set", "num_classes=-1"],
        ["count", "cifar-resnet-20", "--set", "num_classes=0"],
        ["count", "cifar-resnet-20", "--set", "in_channels=0"],
        ["count", "cifar-resnet-20", "--set", "width=0"],
        ["count", "cifar-resnet-20", "--set", "width=1.5"],
        ["count", "cifar-resnet-20", "--set", "width=inf"],
        ["count", "cifar-resnet-20", "--set", "width=100000"],
        ["count", "cifar-resnet-20", "--set", "shortcut=C"],
        ["count", "cifar-resnet-20", "--set", "bogus=1"],
        ["count", "cifar-resnet-20", "--set", "noequals"],
        ["count", "resnet34", "--set", "num_classes=0"],
        ["count", "resnet34", "--set", "num_classes=99999999999999"],
        ["count", "resnet34", "--set", "num_classes=true"],
    ],
    "graph": [
        ["graph", "resnet34", "--input", "3,8,8"],
        ["graph", "resnet34", "--input", "3,1,1"],
        ["graph", "resnet34", "--level", "atoms"],
        ["graph", "resnet34", "--collapse", "-1"],
        ["graph", "resnet34", "--collapse", "1e309"],
        ["graph", "cifar-resnet-12002"],
        ["graph", "cifar-resnet-20", "--set", "preact=maybe"],
        ["graph", "nope"],
    ],
    "train": [
        ["train", "--seed", "99999999999999999999"],
        ["train", "--seed", "-1"],
        ["train", "--epochs", "0"],
        ["train", "--epochs", "-3"],
        ["train", "--epochs", "99999999999"],
        ["train", "--lr", "0"],
        ["train", "--lr", "nan"],
        ["train", "--lr", "inf"],
        ["train", "--lr", "-0.1"],
        ["train", "--batch-size", "0"],
        ["train", "--width", "0"],
        ["train", "--width", "99999"],
        ["train", "--runs", "resnet34"],
        ["train", "--runs", "cifar-resnet-21"],
        ["train", "--runs", "cifar-resnet-12002"],
        ["train", "--runs", ""],
        ["train", "--runs", ","],
        ["train", "--dataset", "nope"],
        ["train", "--final-survival", "2"],
        ["train", "--final-survival", "nan"],
        ["train", "--train-limit", "0"],
        ["train", "--train-limit", "-5"],
        ["train", "--shortcut", "C"],
        ["train", "--device", "tpu"],
    ],
    "drift": [
        ["drift"],
        ["drift", "--train", "momentum=-5"],
        ["drift", "--train", "weight_decay=-1"],
        ["drift", "--train", "momentum=nan"],
        ["drift", "--train", "depth=21"],
        ["drift", "--train", "depth=99999999999999999999"],
        ["drift", "--train", "width=0"],
        ["drift", "--train", "epochs=0"],
        ["drift", "--train", "seed=-1"],
        ["drift", "--train", "seed=99999999999999999999"],
        ["drift", "--train", "preact=maybe"],
        ["drift", "--train", "foo=1"],
        ["drift", "--train", "net=cnn"],
        ["drift", "--train", "dataset=nope"],
        ["drift", "--train", "train_limit=0"],
        ["drift", "--train", "schedule=zigzag"],
        ["drift", "--train", "depth=20", "--examples", "0"],
        ["drift", "--train", "depth=20", "--paths", "0"],
        ["drift", "--run", "987654"],
    ],
    "paths": [
        ["paths"],
        ["paths", "--run", "987654"],
        ["paths", "--train", "resnet-21"],
        ["paths", "--train", "resnet-12002"],
        ["paths", "--train", "resnet34"],
        ["paths", "--train", "resnet-20", "--epochs", "0"],
        ["paths", "--train", "resnet-20", "--lr", "-1"],
        ["paths", "--train", "resnet-20", "--final-survival", "0"],
        ["paths", "--train", "resnet-20", "--dataset", "nope"],
        ["paths", "--train", "resnet-20", "--seed", "99999999999999999999"],
        ["paths", "--train", "resnet-20", "--samples", "0"],
        ["paths", "--train", "resnet-20", "--k", "a,b"],
        ["paths", "--train", "resnet-20", "--k", "-1"],
    ],
    "scene": [["scene", "no-such-scene"]],
    "runs": [
        ["runs", "--delete", "abc"],
        ["runs", "--delete", "999"],
        ["runs", "--bogus"],
        ["runs", "--copy-to", "not-a-url"],
        ["runs", "--copy-to", "nosuchdb://x/y"],
        ["runs", "--copy-to", "postgresql+psycopg://nobody@127.0.0.1:1/x"],
    ],
    "worker": [
        ["worker"],
        ["worker", "tcp://127.0.0.1:8786", "--workers", "0"],
        ["worker", "tcp://127.0.0.1:8786", "--threads", "-1"],
        ["worker", "not-an-address"],
    ],
    "transfer": [
        ["transfer", "--task", "nope"],
        ["transfer", "--shots", "abc"],
        ["transfer", "--shots", "0"],
        ["transfer", "--seeds", "x"],
        ["transfer", "--strategies", "bogus"],
        ["transfer", "--depth", "21"],
        ["transfer", "--steps", "0"],
        ["transfer", "--width", "0"],
        ["transfer", "--epochs", "-1"],
    ],
}
CASES = [pytest.param(argv, id=" ".join(a[:20] for a in argv)) for cases in BAD.values() for argv in cases]


def test_every_subcommand_is_tried():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(BAD)


@pytest.mark.parametrize("argv", CASES)
def test_bad_value_exits_2_with_one_line(argv, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))

    def refuse(*args, **kwargs):
        raise ReachedTraining

    monkeypatch.setattr(engine.LiveRun, "train_step", refuse)  # a bad value must stop before training
    monkeypatch.setattr(jobs, "client", refuse)  # ... and before anything reaches the job engine
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            rc = cli.main(argv)
        except SystemExit as exc:  # argparse's --help only
            rc = exc.code
    out, err = capsys.readouterr()
    assert rc == 2, f"exit {rc}; stdout {out[:200]!r}; stderr {err[:300]!r}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert len(lines[0]) < 400, lines[0]
    assert out == "", out[:200]
    assert not [w for w in caught if "torch" in str(w.filename)], [str(w.message) for w in caught]
