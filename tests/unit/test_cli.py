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


def test_count_json_contract():
    out = run_cli("count", "resnet34", "--input", "3,224,224", "--json")
    assert out.returncode == 0
    data = json.loads(out.stdout)
    assert data["arch"] == "resnet34" and data["input"] == [3, 224, 224]
    assert data["total_macs"] == 3_663_761_408 and data["total_params"] == 21797672
    assert {"name", "type", "output_shape", "params", "macs"} <= set(data["layers"][0])
    assert sum(row["macs"] for row in data["layers"]) == data["total_macs"]


def test_count_bad_input_exit_2_one_line():
    for args in (["count", "vgg19", "--input", "3,8,8"], ["count", "nope"], ["count", "resnet18", "--input", "3,x,1"]):
        out = run_cli(*args)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
