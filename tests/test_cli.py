import json
import subprocess
import sys


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, timeout=120)


def test_list_json():
    out = run_cli("list", "--json")
    assert out.returncode == 0
    names = {row["name"] for row in json.loads(out.stdout)}
    assert {"resnet34", "cifar-resnet-56", "xception"} <= names


def test_bad_subcommand_is_one_line_exit_2():
    out = run_cli("frobnicate")
    assert out.returncode == 2 and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
