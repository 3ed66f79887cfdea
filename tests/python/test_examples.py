"""The quick-start example (NeuralForecast's, with neurodivergent's imports) runs as written."""
import os
import subprocess
import sys

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "quickstart.py")


def test_quickstart_runs_unchanged(tmp_path):
    out = subprocess.run([sys.executable, EXAMPLE], cwd=tmp_path, capture_output=True, text=True, timeout=900,
                         env=dict(os.environ, ND_NUM_THREADS=os.environ.get("ND_NUM_THREADS", "1")))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "identical after load: True" in out.stdout
    assert "LSTM MAE on 1960" in out.stdout and "NHITS MAE on 1960" in out.stdout
    with open(EXAMPLE) as f:
        src = f.read()
    # Only the imports differ from NeuralForecast's script.
    code = "\n".join(line.split("#")[0] for line in src.splitlines() if not line.lstrip().startswith(('"', "Run:")))
    assert code.count("from neurodivergent") == 3 and "neuralforecast" not in code.split('"""')[-1]
