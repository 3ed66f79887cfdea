"""Ctrl-C during fit stops training at the next step with KeyboardInterrupt (the engine runs
with the GIL released and polls Python's signal handlers between steps), and the object stays
usable."""
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import os, signal, threading, time
    import pandas as pd
    import neurodivergent as nd
    from neurodivergent.models import MLP
    from neurodivergent.utils import AirPassengersDF as df
    nf = nd.NeuralForecast(models=[MLP(h=12, input_size=24, max_steps=10**7, enable_progress_bar=False)],
                           freq="ME")
    threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    t0 = time.time()
    try:
        nf.fit(df)
        print("NOT INTERRUPTED")
    except KeyboardInterrupt:
        print(f"INTERRUPTED after {time.time() - t0:.1f} s")
    nf2 = nd.NeuralForecast(models=[MLP(h=12, input_size=24, max_steps=2, enable_progress_bar=False)], freq="ME")
    nf2.fit(df)
    print("STILL USABLE", len(nf2.predict()))
""")


def test_ctrl_c_stops_training():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert "INTERRUPTED after" in out.stdout, out.stdout + out.stderr
    seconds = float(out.stdout.split("INTERRUPTED after ")[1].split(" s")[0])
    assert seconds < 30
    assert "STILL USABLE 12" in out.stdout
